"""A night read, standardized and validated in small pieces gives the warehouse of one that takes each file whole.

Extract writes a file's rows a batch at a time, standardize reads and standardizes a file a chunk at a time, and
validate checks the night's files in parts of a bounded number of rows: what a company of a million customers
needs to stay within a machine's memory. The sample company is a few hundred customers, so the pieces are made
tiny here (a few dozen rows) for every file to be cut into several.
"""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.support import PipelineRun, every_table_checksum, run_pipeline
from transforms.extract import extract
from transforms.pipeline import standardize_stage, validate_stage
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.validate_stage import file_groups

#: Tables whose floating-point columns are sums over many rows: read back from files cut into many row groups, the
#: warehouse may add them in another order, which moves the last digit; they are compared to nine digits.
SUMMED = ("marts.",)


@pytest.fixture(scope="module")
def in_pieces(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """The session's sample night run with tiny batches, chunks and validation parts."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(extract, "BATCH_ROWS", 37)
        mp.setattr(standardize_stage, "CHUNK_ROWS", 53)
        mp.setattr(validate_stage, "PART_ROWS", 300)
        return run_pipeline(sample_dir, tmp_path_factory.mktemp("in_pieces"), run_id="test_run_1")


def test_each_file_was_cut_into_pieces(in_pieces: PipelineRun) -> None:
    run = RunCatalog(in_pieces.run_dir)
    files = run.manifest("extract")["files"]
    biggest = max(files, key=lambda f: f["rows_extracted"])
    assert biggest["rows_extracted"] > 53
    assert pq.ParquetFile(biggest["records_path"]).num_row_groups > 1
    assert pq.ParquetFile(run.path("standardize.contact")).num_row_groups > len(files)
    parts = [p.name for p in run.path("validate.parts").iterdir()]
    assert len(parts) > 1 and "all" not in parts


def test_the_staged_tables_are_the_same(pipeline_run: PipelineRun, in_pieces: PipelineRun) -> None:
    whole, pieces = RunCatalog(pipeline_run.run_dir), RunCatalog(in_pieces.run_dir)
    for table in ("contact", "interaction", "invoice", "payment", "quarantine"):
        a, b = pq.read_table(whole.path(f"standardize.{table}")), pq.read_table(pieces.path(f"standardize.{table}"))
        assert a.schema == b.schema, table
        assert a.equals(b), table
    # A file's issues come chunk by chunk (each chunk's by field): the same rows, in another order.
    issues = [run.read("standardize.field_issue") for run in (whole, pieces)]
    a, b = (f.sort_values(list(f.columns)).reset_index(drop=True) for f in issues)
    pd.testing.assert_frame_equal(a, b)


def test_the_failures_and_metrics_are_the_same(pipeline_run: PipelineRun, in_pieces: PipelineRun) -> None:
    for name in ("validate.failure", "validate.metric"):
        a, b = (RunCatalog(r.run_dir).read(name) for r in (pipeline_run, in_pieces))
        a, b = (f.sort_values(list(f.columns)).reset_index(drop=True) for f in (a, b))
        pd.testing.assert_frame_equal(a, b, obj=name)


def test_every_table_is_as_the_whole_files_leave_it(pipeline_run: PipelineRun, in_pieces: PipelineRun) -> None:
    whole, pieces = every_table_checksum(pipeline_run.warehouse_path), every_table_checksum(in_pieces.warehouse_path)
    assert whole.keys() == pieces.keys()
    exact = [t for t in whole if not t.startswith(SUMMED)]
    assert {t: pieces[t] for t in exact} == {t: whole[t] for t in exact}
    for table in set(whole) - set(exact):
        a, b = (_rows(r.warehouse_path, table) for r in (pipeline_run, in_pieces))
        pd.testing.assert_frame_equal(_json_as_numbers(a), _json_as_numbers(b), rtol=1e-9, obj=table)


def _json_as_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """JSON text columns (a segment's centre) as one column per key, so their sums compare with a tolerance too."""
    for column in [c for c in frame.columns if c.endswith("_json")]:
        parsed = pd.json_normalize([json.loads(v) if v else {} for v in frame[column]]).add_prefix(f"{column}.")
        frame = pd.concat([frame.drop(columns=column).reset_index(drop=True), parsed], axis=1)
    return frame


def _rows(db: Path, table: str) -> pd.DataFrame:
    with duckdb.connect(str(db), read_only=True) as con:
        frame = con.sql(f"select * exclude (run_id) from {table}").df()
    text = [c for c in frame.columns if frame[c].dtype == object]
    return frame.sort_values(text or list(frame.columns)).reset_index(drop=True)


@pytest.mark.parametrize(
    ("rows", "budget", "groups"),
    [
        ([], 10, [[]]),
        ([3, 3, 3], 10, [[0, 1, 2]]),
        ([6, 6, 6], 10, [[0], [1], [2]]),
        ([4, 5, 20, 1, 9], 10, [[0, 1], [2], [3, 4]]),
    ],
)
def test_files_are_validated_together_up_to_the_budget(rows: list[int], budget: int, groups: list[list[int]]) -> None:
    assert file_groups(rows, budget) == groups
