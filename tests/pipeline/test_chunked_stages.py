"""A night read, standardized and validated in small pieces gives the warehouse of one that takes each file whole.

Extract writes a file's rows a batch at a time, standardize reads and standardizes a file a chunk at a time, and
validate checks the night's files in parts of a bounded number of rows, a larger file in pieces of that many rows:
what a company of a million customers needs to stay within a machine's memory. The sample company is a few hundred
customers, so the pieces are made tiny here (a few dozen rows) for every file to be cut into several.
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.support import PipelineRun, every_table_checksum, run_pipeline
from transforms.extract import extract
from transforms.pipeline import standardize_stage, tasks, validate_stage
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.pipeline.file_plan import read_night_files
from transforms.pipeline.validate_stage import combine_validation, file_groups, run_validate, validate_file
from transforms.quality import QualityGateError
from transforms.quality.frames import PAYMENT_IDENTITY, repeated_payments

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
    # The payments (about 1,900 rows) are checked in pieces of at most 300 rows, each a part of its own.
    payments = next(f for f in read_night_files(in_pieces.run_dir) if f.source_name == "payments")
    pieces = sorted(p for p in parts if p.startswith(f"{payments.part}__chunk"))
    assert len(pieces) > 5
    for part in pieces:
        manifest = run.read_json("validate.part_manifest", part=part)
        assert manifest["files"] == [payments.key] and 0 < manifest["rows"] <= 300
        assert manifest["chunk"]["of"] == len(pieces)


def test_the_data_docs_name_each_piece_by_its_rows(in_pieces: PipelineRun) -> None:
    index = RunCatalog(in_pieces.run_dir).path("validate.data_docs_page").read_text("utf-8")
    assert ">accounting/payments.csv, payment rows 1 to 300 of 1,888</a>" in index
    assert ">accounting/payments.csv, payment rows 301 to 600 of 1,888</a>" in index


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


def test_the_gate_judges_the_same_counts(pipeline_run: PipelineRun, in_pieces: PipelineRun) -> None:
    whole, pieces = RunCatalog(pipeline_run.run_dir), RunCatalog(in_pieces.run_dir)
    a, b = (_sorted(run.read("validate.per_file")) for run in (whole, pieces))
    pd.testing.assert_frame_equal(a, b, obj="validate.per_file")
    once, in_parts = whole.manifest("validate"), pieces.manifest("validate")
    for key in ("suites", "failures_by_rule", "gate"):
        assert in_parts[key] == once[key], key
    assert {t: v["rows"] for t, v in in_parts["tables"].items()} == {t: v["rows"] for t, v in once["tables"].items()}


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


def _sorted(frame: pd.DataFrame) -> pd.DataFrame:
    return frame.sort_values(list(frame.columns)).reset_index(drop=True)


@pytest.fixture(scope="module")
def strict_night(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, int]:
    """(run folder, piece size) of the sample night, extracted and standardized, whose company allows no duplicate
    payment; the piece size cuts the payments file between a repeated payment and the row it repeats."""
    data = tmp_path_factory.mktemp("strict_night")
    company = data / "company"
    shutil.copytree(sample_dir, company)
    (company / "quality.yml").write_text("rules:\n  duplicate_payment: {severity: critical, tolerance: 0.0}\n", "utf-8")
    run_dir = tasks.prepare_run(
        sources=str(company / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'warehouse.duckdb'}",
        as_of="2026-11-20",
        run_id="strict_night",
        data_dir=str(data),
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    payments = RunCatalog(run_dir).read("standardize.payment")
    repeats = repeated_payments(payments[c] for c in PAYMENT_IDENTITY)
    # The first repeat from row 300 on, whose row it repeats is the one just before: it opens the second piece.
    size = next(int(i) for i in repeats.nonzero()[0] if i >= 300)
    assert not repeats[size - 1]
    return run_dir, size


def _gate_failure(run_dir: str, validate: object) -> tuple[str, dict[str, pd.DataFrame]]:
    """The gate's message and the validation's failures, metrics and per-file counts (sorted)."""
    with pytest.raises(QualityGateError) as gate:
        validate()  # type: ignore[operator]
    run = RunCatalog(run_dir)
    tables = {n: _sorted(run.read(f"validate.{n}").drop(columns="run_id", errors="ignore")) for n in TABLES}
    return str(gate.value), tables


TABLES = ("failure", "metric", "per_file")
REFUSED = re.escape("covered more than once or in part: accounting/payments.csv")


def test_a_gate_failing_on_a_file_checked_in_pieces_fails_as_on_the_whole_file(
    strict_night: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir, size = strict_night
    ctx = RunContext.load(run_dir)
    monkeypatch.setattr(validate_stage, "PART_ROWS", 10**9)
    whole, whole_tables = _gate_failure(run_dir, lambda: run_validate(ctx, data_docs=False))
    monkeypatch.setattr(validate_stage, "PART_ROWS", size)
    pieces, piece_tables = _gate_failure(run_dir, lambda: run_validate(ctx, data_docs=False))
    assert "duplicate_payment: accounting/payments.csv (payments):" in whole
    assert pieces == whole
    for name in TABLES:
        pd.testing.assert_frame_equal(piece_tables[name], whole_tables[name], obj=name)
    parts = [p.name for p in RunCatalog(run_dir).path("validate.parts").iterdir()]
    assert sum("__chunk" in p for p in parts) > 4


def test_a_file_task_checks_a_large_file_in_pieces_and_can_be_retried(
    strict_night: tuple[str, int], monkeypatch: pytest.MonkeyPatch
) -> None:
    run_dir, size = strict_night
    ctx = RunContext.load(run_dir)
    monkeypatch.setattr(validate_stage, "PART_ROWS", 10**9)
    whole, whole_tables = _gate_failure(run_dir, lambda: run_validate(ctx, data_docs=False))
    shutil.rmtree(ctx.catalog.path("validate.parts"))
    monkeypatch.setattr(validate_stage, "PART_ROWS", size)
    night = read_night_files(run_dir)
    for f in night:
        validate_file(ctx, f.key)
    payments = next(f for f in night if f.source_name == "payments")
    parts_dir = ctx.catalog.path("validate.parts")
    first = sorted(p.name for p in parts_dir.glob(f"{payments.part}__chunk*"))
    assert len(first) > 4
    # A retry of the payments' task, in larger pieces: the first attempt's pieces are gone, not counted twice.
    monkeypatch.setattr(validate_stage, "PART_ROWS", 2 * size)
    validate_file(ctx, payments.key)
    again = sorted(p.name for p in parts_dir.glob(f"{payments.part}__chunk*"))
    assert 1 < len(again) < len(first)
    by_file, tables = _gate_failure(run_dir, lambda: combine_validation(ctx, data_docs=False))
    assert by_file == whole
    for name in TABLES:
        pd.testing.assert_frame_equal(tables[name], whole_tables[name], obj=name)
    # A piece lost, or the file validated whole beside its pieces: the night is refused.
    kept = parts_dir / again[-1]
    moved = kept.rename(parts_dir.parent / "lost")
    with pytest.raises(FileNotFoundError, match=REFUSED):
        combine_validation(ctx, data_docs=False)
    shutil.rmtree(moved)
    monkeypatch.setattr(validate_stage, "PART_ROWS", 10**9)
    validate_stage.validate_one_file(ctx, payments.key, part=payments.part, data_docs=False)
    with pytest.raises(FileNotFoundError, match=REFUSED):
        combine_validation(ctx, data_docs=False)
