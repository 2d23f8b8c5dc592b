"""Every Parquet file a night publishes fits its warehouse table: exactly the columns the table's SQL file declares,
values of types that load into them, and a value wherever the table requires one.

The files are the ones the publish task loads, found the way it finds them (the standardize and validate stages'
tables, then the publish sections of the derived stages' manifests).
"""

from __future__ import annotations

import json
from pathlib import Path

from tests.support import PipelineRun
from transforms.pipeline.context import RunContext
from transforms.pipeline.outputs import TableOutput
from transforms.pipeline.publish_stage import quality_outputs, stage_outputs, staging_outputs
from transforms.warehouse.table_schemas import SchemaMismatchError, check_parquet, table_schemas

#: Tables a night fills without a Parquet file: the run log and reconciliation (rows inserted by the publish task,
#: each checked against its columns) and the stewards' decisions (written by the console, never by a night).
NOT_FROM_FILES = {"ops.run", "ops.task_run", "ops.reconciliation", "core.match_decision"}


def published_outputs(run_dir: Path) -> list[TableOutput]:
    """Every table and file the publish task of this run loads."""
    ctx = RunContext.load(run_dir)
    tables = json.loads((run_dir / "standardize" / "manifest.json").read_text("utf-8"))["tables"]
    derived, _ = stage_outputs(ctx)
    return staging_outputs(tables) + quality_outputs(ctx) + derived


def test_every_published_file_fits_its_table(pipeline_run: PipelineRun) -> None:
    outputs = published_outputs(pipeline_run.run_dir)
    faults = []
    for out in outputs:
        if out.path is None:
            continue
        try:
            check_parquet(out.name, Path(out.path))
        except SchemaMismatchError as err:
            faults.append(str(err))
    assert not faults, "\n".join(faults)
    # Every table a night fills from files is covered, each by at least one file with rows in this sample night.
    filled = {o.name for o in outputs if o.path is not None}
    assert filled == set(table_schemas()) - NOT_FROM_FILES
    assert {o.name for o in outputs if o.rows} >= filled - {"marts.segment_movement"}  # no movements on a first night
