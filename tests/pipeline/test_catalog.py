"""The run catalog: every dataset declared once, publishing reads what each stage says it wrote tonight."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from tests.support import PipelineRun, run_pipeline, table_checksums
from transforms.pipeline import catalog
from transforms.pipeline.catalog import DATASETS, RunCatalog, TableOutput
from transforms.warehouse.table_schemas import SchemaMismatchError, columns

SQL = Path(__file__).resolve().parents[2] / "sql" / "warehouse"
#: Tables written by someone other than a night's stages: the stewards' decisions, the run log.
NOT_FROM_A_RUN = {"core.match_decision", "ops.run", "ops.task_run", "ops.reconciliation"}


def test_each_dataset_is_declared_once_at_a_place_of_its_own() -> None:
    names = [d.name for d in DATASETS]
    paths = [d.path for d in DATASETS]
    assert len(set(names)) == len(names)
    assert len(set(paths)) == len(paths)


def test_every_table_a_night_fills_comes_from_a_declared_dataset() -> None:
    tables = {f"{p.parent.name}.{p.stem}" for p in SQL.glob("*/*.sql") if p.parent.name != "views"}
    filled = {load.table for d in DATASETS for load in d.loads}
    assert filled <= tables, filled - tables  # each a table of the warehouse's DDL
    assert filled == tables - NOT_FROM_A_RUN


def _rows(table: str, rows: int = 1, **values: list[object]) -> pd.DataFrame:
    """A frame with every column of ``table`` (empty where ``values`` does not give one)."""
    return pd.DataFrame({c: values.get(c, [None] * rows) for c in columns(table)})


def test_a_run_folder_is_found_by_its_run_id(tmp_path: Path) -> None:
    run = RunCatalog.of_run(tmp_path, "manual__2026-11-20T02:00:00+00:00")
    assert run.root.parent == RunCatalog.runs_folder(tmp_path)
    assert ":" not in run.root.name and "+" not in run.root.name
    index = run.path("link.match_index")
    assert RunCatalog.of_path(index, "link.match_index") is not None
    assert RunCatalog.of_path(index, "link.match_index").root == run.root  # type: ignore[union-attr]
    assert RunCatalog.of_path(tmp_path / "elsewhere" / "index", "link.match_index") is None


def test_writing_a_dataset_follows_its_declaration(tmp_path: Path) -> None:
    run = RunCatalog(tmp_path)
    # Receivables' tables are written only when they have rows, and a column without values is text.
    assert run.write("receivables.customer_balance", pd.DataFrame()) is None
    assert not run.exists("receivables.customer_balance")
    balance = _rows("marts.customer_balance", customer_id=["C1"], currency=["PLN"], invoices=[2])
    path = run.write("receivables.customer_balance", balance.assign(extra=["not a column"]))
    assert path == run.path("receivables.customer_balance")
    # Written as its warehouse table: the table's columns in its order, an empty one typed as the table says.
    assert pq.read_schema(path).names == list(columns("marts.customer_balance"))
    assert str(pq.read_schema(path).field("dso").type) == "double"
    with pytest.raises(SchemaMismatchError, match="'currency' is missing"):
        run.write("receivables.customer_balance", balance.drop(columns=["currency"]))
    # The golden records' failures are written even without rows.
    empty = run.write("link.customer_failure", pd.DataFrame({"rule": pd.Series(dtype="object")}))
    assert empty is not None and pq.read_metadata(empty).num_rows == 0
    assert not list(tmp_path.rglob("*.tmp"))  # written aside, then renamed
    assert run.read("receivables.customer_balance", ["customer_id", "missing"]).columns.tolist() == ["customer_id"]
    filled = run.read("receivables.customer_balance", ["customer_id", "missing"], fill=True)
    assert filled.columns.tolist() == ["customer_id", "missing"]
    absent = run.read("segments.customer_feature", ["customer_id"])
    assert absent.empty and absent.columns.tolist() == ["customer_id"]


def _manifest(run: RunCatalog, stage: str, data: dict[str, object]) -> None:
    run.stage_folder(stage)
    run.write_manifest(stage, data)


def test_reading_only_the_rows_named(tmp_path: Path) -> None:
    run = RunCatalog(tmp_path)
    staged = _rows(
        "staging.contact",
        5,
        record_id=["r1", "r2", "r3", "r4", None],
        customer_code=["K1", None, "K2", "K1", "K3"],
        physical_row=[2, 3, 4, 5, 6],
    )
    run.write("standardize.contact", staged)
    cols = ["record_id", "customer_code", "physical_row"]
    # Rows in their order in the file; a row is kept when any of the named columns holds one of the values.
    got = run.read("standardize.contact", cols, matching={"record_id": ["r4", "r2", None], "customer_code": ["K3"]})
    assert got["physical_row"].tolist() == [3, 5, 6]
    assert run.read("standardize.contact", cols, matching={"record_id": []}).empty
    # A column the file lacks matches nothing; values of another type are compared as text.
    assert run.read("standardize.contact", cols, matching={"nowhere": ["r1"]}).empty
    assert run.read("standardize.contact", cols, matching={"physical_row": ["4", 5]})["record_id"].tolist() == [
        "r3",
        "r4",
    ]
    assert run.read("standardize.contact", cols, matching={"record_id": pd.Series(["r1", pd.NA])})[
        "record_id"
    ].tolist() == ["r1"]


def test_publishing_loads_what_each_stage_wrote_tonight(tmp_path: Path) -> None:
    run = RunCatalog(tmp_path)
    contacts = run.write("standardize.contact", _rows("staging.contact", 2, record_id=["r1", "r2"]))
    _manifest(
        run,
        "standardize",
        {"tables": {"contact": {"path": str(contacts), "rows": 2}, "interaction": {"path": None, "rows": 0}}},
    )
    failures = run.write("validate.failure", _rows("dq.failure", rule=["x"]))
    _manifest(run, "validate", {"tables": {"failure": {"path": str(failures), "rows": 1}}})
    feature = run.write("segments.customer_feature", _rows("marts.customer_feature", customer_id=["C1"]))
    # A stale file of an earlier attempt that the stage did not write tonight: not published.
    run.write("segments.customer_segment", _rows("marts.customer_segment", customer_id=["C1"], segment_id=[1]))
    _manifest(run, "segments", {"publish": run.publish_section(["segments.customer_feature"]), "views": ["v"]})
    with pytest.raises(FileNotFoundError, match="link stage has not run"):
        run.warehouse_loads()
    loads = run.warehouse_loads(require=False)
    assert loads == [
        TableOutput("staging", "contact", str(contacts), "replace", 2, "standardize.contact"),
        TableOutput("staging", "interaction", None, "replace", 0, "standardize.interaction"),  # emptied tonight
        TableOutput("dq", "failure", str(failures), "history", 1, "validate.failure"),
        TableOutput("marts", "customer_feature", str(feature), "replace", 1, "segments.customer_feature"),
    ]
    assert [o.name for o in run.warehouse_loads(tables={"dq.failure"}, require=False)] == ["dq.failure"]
    assert run.views() == ["v"]


def test_one_dataset_may_fill_two_tables(tmp_path: Path) -> None:
    run = RunCatalog(tmp_path)
    run.write("receivables.customer_reliability", _rows("marts.customer_reliability", customer_id=["C1"]))
    section = run.publish_section(["receivables.customer_reliability"])
    assert [(e["table"], e["mode"], e["rows"]) for e in section] == [
        ("customer_reliability", "replace", 1),
        ("customer_reliability_history", "history", 1),
    ]
    assert json.loads(json.dumps(section)) == section


@pytest.mark.slow
def test_the_layout_lives_in_the_catalog_alone(
    pipeline_run: PipelineRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every dataset moved to other folders and names: the night runs and publishes the same warehouse, and
    nothing is written where the declared layout does not say."""
    moved = tuple(dataclasses.replace(d, path=f"moved_{d.path}") for d in DATASETS)
    monkeypatch.setattr(catalog, "DATASETS", moved)
    monkeypatch.setattr(catalog, "BY_NAME", {d.name: d for d in moved})
    night = run_pipeline(pipeline_run.sample_dir, tmp_path / "data", run_id="moved")
    assert table_checksums(night.warehouse_path) == table_checksums(pipeline_run.warehouse_path)
    assert night.run_dir.is_dir()
    assert sorted(p.name for p in night.run_dir.iterdir() if not p.name.startswith("moved_")) == []
    assert RunCatalog(night.run_dir).exists("report.page")
