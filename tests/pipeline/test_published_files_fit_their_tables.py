"""Every Parquet file a night publishes fits its warehouse table: exactly the columns the table's SQL file declares,
values of types that load into them, and a value wherever the table requires one.

The files are the ones the publish task loads, found the way it finds them (the run catalog's warehouse loads).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import PipelineRun
from transforms.pipeline.catalog import RunCatalog, TableOutput, load_dataset
from transforms.warehouse.table_schemas import SchemaMismatchError, check_parquet, table_schemas

#: Tables a night fills without a Parquet file: the run log and reconciliation (rows inserted by the publish task,
#: each checked against its columns) and the stewards' decisions (written by the console, never by a night).
NOT_FROM_FILES = {"ops.run", "ops.task_run", "ops.reconciliation", "core.match_decision"}


def published_outputs(run_dir: Path) -> list[TableOutput]:
    """Every table and file the publish task of this run loads."""
    return RunCatalog(run_dir).warehouse_loads()


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


def test_a_file_that_does_not_fit_its_table_is_not_loaded(pipeline_run: PipelineRun, tmp_path: Path) -> None:
    """The publisher checks each file's columns against its table before loading it, naming file and column."""
    import pandas as pd

    out = next(o for o in published_outputs(pipeline_run.run_dir) if o.name == "core.customer" and o.path)
    wrong = tmp_path / "customer.parquet"
    pd.read_parquet(out.path).drop(columns=["customer_id"]).to_parquet(wrong, index=False)
    bad = TableOutput(out.schema, out.table, str(wrong), out.mode, out.rows, out.dataset)
    with pytest.raises(SchemaMismatchError, match=r"customer\.parquet.*core\.customer.*'customer_id' is missing"):
        load_dataset(None, bad)  # type: ignore[arg-type]  # the check comes before any use of the connection
