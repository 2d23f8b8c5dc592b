"""The segment stage in a real nightly run: published tables, rule views on DuckDB, a rerun, exports, notebook."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import duckdb
import nbformat
import pytest
from nbclient import NotebookClient
from openpyxl import load_workbook
from sqlalchemy import text

from tests.segments.conftest import publish_segments
from tests.support import PipelineRun
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.pipeline.segment_stage import run_segments
from transforms.segments.export import export_segment_command
from transforms.segments.settings import load_segments_file
from transforms.warehouse.engine import make_engine

pytestmark = pytest.mark.slow  # runs nights and a notebook: full lane only (make test)

NOTEBOOK = Path(__file__).resolve().parents[2] / "notebooks" / "segments.ipynb"


def _sql(run: PipelineRun, sql: str) -> list[tuple[object, ...]]:
    with duckdb.connect(str(run.warehouse_path), read_only=True) as con:
        return con.execute(sql).fetchall()


def test_tables_are_published_and_consistent(segmented_run: PipelineRun) -> None:
    customers = _sql(segmented_run, "select count(*) from core.customer")[0][0]
    assert _sql(segmented_run, "select count(*) from marts.customer_feature")[0][0] == customers
    assert _sql(segmented_run, "select count(*) from marts.customer_segment")[0][0] == customers
    assert _sql(segmented_run, "select sum(customers) from marts.segment_profile")[0][0] == customers
    orphans = _sql(
        segmented_run,
        "select count(*) from marts.customer_segment s left join marts.segment_profile p using (segment_id)"
        " where p.segment_id is null",
    )
    assert orphans[0][0] == 0
    shares = _sql(segmented_run, "select segment_id, sum(share) from marts.segment_channel group by segment_id")
    assert all(abs(float(s) - 1) < 1e-9 for _, s in shares)
    k = _sql(segmented_run, "select count(*), min(k), max(k) from marts.segment_profile")[0]
    settings = load_segments_file().model
    assert k[0] == k[1] == k[2] and settings.k_min <= k[0] <= settings.k_max


def test_rule_views_run_on_duckdb(segmented_run: PipelineRun) -> None:
    settings = load_segments_file()
    for rule in settings.rules:
        rows = _sql(segmented_run, f"select count(*) from marts.segment_{rule.name}")[0][0]
        direct = _sql(
            segmented_run,
            "select count(*) from marts.customer_feature f left join marts.customer_segment s using (customer_id)"
            f" where {rule.sql_condition}",
        )[0][0]
        assert rows == direct
    radio = _sql(segmented_run, "select distinct channel from marts.segment_radio_late_payers")
    assert radio in ([], [("radio",)])
    complainers = _sql(segmented_run, "select min(complaints_recent) from marts.segment_repeat_complainers")[0][0]
    assert complainers is None or complainers >= 2


def _night(run: PipelineRun, run_id: str, as_of: str) -> dict[object, object]:
    ctx = RunContext.load(run.run_dir)
    night = RunContext(**{**ctx.__dict__, "run_id": run_id, "as_of": as_of})
    run_segments(night)
    publish_segments(night)
    return dict(_sql(run, "select customer_id, segment_id from marts.customer_segment"))


def test_rerun_and_next_night_keep_segments(segmented_run: PipelineRun) -> None:
    profile_sql = "select segment_id, segment_name, is_new from marts.segment_profile order by segment_id"
    before = dict(_sql(segmented_run, "select customer_id, segment_id from marts.customer_segment"))
    profile = _sql(segmented_run, profile_sql)
    assert _night(segmented_run, "seg_run_1_retry", "2026-11-20") == before  # the same night again: no change
    assert _sql(segmented_run, profile_sql) == profile  # what was new that night is still new in the rerun
    after = _night(segmented_run, "seg_run_2", "2026-11-21")  # a day later: tenure and recency a day longer
    assert _sql(segmented_run, "select bool_and(not is_new) from marts.segment_profile")[0][0]
    # k chosen on the first night is read back from the warehouse and kept: the second night tried no other k
    chosen = _sql(segmented_run, "select distinct k_chosen_on, model_key is not null from marts.segment_profile")
    assert chosen == [(dt.date(2026, 11, 20), True)]
    assert not RunCatalog(segmented_run.run_dir).manifest("segments")["k_chosen_tonight"]
    changed = {c for c in before if after.get(c) != before[c]}
    assert len(changed) <= 0.02 * len(before)
    moved = _sql(segmented_run, "select customer_id, movement from marts.segment_movement where run_id = 'seg_run_2'")
    assert {c for c, _ in moved} == changed
    assert {m for _, m in moved} <= {"moved"}


def _largest_segment(run: PipelineRun) -> tuple[int, int]:
    row = _sql(run, "select segment_id, customers from marts.segment_profile order by customers desc limit 1")[0]
    return int(row[0]), int(row[1])  # type: ignore[call-overload]


def test_export_with_personal_data(segmented_run: PipelineRun, tmp_path: Path) -> None:
    seg, size = _largest_segment(segmented_run)
    engine = make_engine(segmented_run.warehouse_url)
    with engine.begin() as conn:  # a name typed as a formula must stay text
        conn.execute(
            text(
                "update core.customer set surname = '=HYPERLINK(\"http://x\")' where customer_id = "
                "(select min(customer_id) from marts.customer_segment where segment_id = :s)"
            ),
            {"s": seg},
        )
    engine.dispose()
    out = tmp_path / "list.csv"
    assert export_segment_command(str(seg), out, "csv", False, segmented_run.warehouse_url) == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == size
    assert {"surname", "email", "phone_e164", "segment_name"} <= set(rows[0])
    assert any(r["surname"] == '\'=HYPERLINK("http://x")' for r in rows)
    xlsx = tmp_path / "list.xlsx"
    assert export_segment_command(str(seg), xlsx, "xlsx", False, segmented_run.warehouse_url) == 0
    ws = load_workbook(xlsx).active
    assert ws is not None
    header = [c.value for c in ws[1]]
    col = header.index("surname")
    cells = [row[col] for row in ws.iter_rows(min_row=2)]
    assert len(cells) == size
    formula = [c for c in cells if c.value == '=HYPERLINK("http://x")']
    assert formula and all(c.data_type == "s" and c.quotePrefix for c in formula)


def test_export_without_personal_data(segmented_run: PipelineRun, tmp_path: Path) -> None:
    settings = load_segments_file()
    for name in ("repeat_complainers", "radio_late_payers"):
        out = tmp_path / f"{name}.xlsx"
        assert export_segment_command(name, out, "xlsx", True, segmented_run.warehouse_url) == 0
        ws = load_workbook(out).active
        assert ws is not None
        header = {c.value for c in ws[1]}
        assert "customer_id" in header
        assert not header & set(settings.export.personal_columns)
    seg, size = _largest_segment(segmented_run)
    name = _sql(segmented_run, f"select segment_name from marts.segment_profile where segment_id = {seg}")[0][0]
    out = tmp_path / "by_name.csv"
    assert export_segment_command(str(name), out, "csv", True, segmented_run.warehouse_url) == 0
    with out.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == size
    assert not set(rows[0]) & set(settings.export.personal_columns)


def test_export_of_unknown_segment_fails(segmented_run: PipelineRun, tmp_path: Path) -> None:
    assert export_segment_command("no_such_rule", tmp_path / "x.csv", "csv", True, segmented_run.warehouse_url) == 1
    assert export_segment_command("1", tmp_path / "x.pdf", "pdf", True, segmented_run.warehouse_url) == 2
    assert not (tmp_path / "x.csv").exists()


def test_the_segments_notebook_runs(segmented_run: PipelineRun, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CRM_WAREHOUSE_URL", segmented_run.warehouse_url)
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    NotebookClient(
        notebook, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOK.parent)}}
    ).execute()
    outputs = [o for cell in notebook.cells if cell.cell_type == "code" for o in cell.get("outputs", [])]
    assert not [o for o in outputs if o.output_type == "error"]
    assert sum("image/png" in o.get("data", {}) for o in outputs) >= 3


def test_the_notebook_pair_is_in_sync() -> None:
    import jupytext

    paired = jupytext.read(NOTEBOOK.with_suffix(".py"))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    assert [c.source for c in paired.cells] == [c.source for c in notebook.cells], (
        "notebooks/segments.ipynb differs from its .py: run `uv run jupytext --sync notebooks/segments.py`"
    )
