"""Rules judged per file: freshness (the file's age) and the row count against the last published night."""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from transforms.quality.file_rules import file_rule_results
from transforms.quality.gate import QualityGateError, gate_violations
from transforms.quality.history import previous_row_counts
from transforms.quality.settings import check_source_names, load_quality_settings
from transforms.settings import load_sources
from transforms.settings.errors import SettingsError
from transforms.warehouse.ddl import ensure_schema
from transforms.warehouse.engine import make_engine

AS_OF = dt.date(2026, 11, 20)
SOURCES = """\
version: 1
defaults: {responsible: office}
sources:
- name: payments
  kind: payments
  path: payments.csv
  responsible: {employee: Accounting}
  columns: {Nr: payment_id, Faktura: invoice_number}
- name: anna
  kind: spreadsheet
  path: sheets/*.csv
  columns: {Nazwisko: surname}
"""


@pytest.fixture()
def company(tmp_path: Path) -> Path:
    (tmp_path / "sources.yml").write_text(SOURCES, "utf-8")
    (tmp_path / "sheets").mkdir()
    for name in ("payments.csv", "sheets/a.csv"):
        path = tmp_path / name
        path.write_text("x\n", "utf-8")
        stamp = dt.datetime(2026, 11, 10, 12, tzinfo=dt.UTC).timestamp()  # 10 days before the as-of date
        os.utime(path, (stamp, stamp))
    return tmp_path


def _line(name: str, file: str, rows: int, status: str = "ok") -> dict[str, Any]:
    return {"source_name": name, "source_file": file, "status": status, "rows_extracted": rows}


def _settings(tmp_path: Path, text_: str) -> Any:
    path = tmp_path / "quality.yml"
    path.write_text(text_, "utf-8")
    return load_quality_settings(path)


def test_freshness_per_source_and_default(company: Path) -> None:
    sources = load_sources(company / "sources.yml")
    settings = _settings(company, "freshness:\n  max_age_days: 30\n  sources: {payments: 7}\n")
    files = [_line("payments", "payments.csv", 100), _line("anna", "sheets/a.csv", 50)]
    result = file_rule_results(files, sources=sources, settings=settings, as_of=AS_OF, run_id="r", previous={})
    f = result.failures
    assert f[["source_file", "rule", "field", "row_number", "responsible"]].values.tolist() == [
        ["payments.csv", "source_freshness", "*", 0, "Accounting"]
    ]
    assert "10 days" in f["value"].iloc[0] and "limit 7 days" in f["value"].iloc[0]
    m = result.metrics.set_index("source_name")
    assert (m.loc["payments", "failed"], m.loc["anna", "failed"]) == (1, 0)
    violations = gate_violations(result.per_file)
    assert [(v.rule, v.source_file) for v in violations] == [("source_freshness", "payments.csv")]


def test_freshness_is_not_checked_by_default(company: Path) -> None:
    sources = load_sources(company / "sources.yml")
    files = [_line("payments", "payments.csv", 100)]
    result = file_rule_results(
        files, sources=sources, settings=load_quality_settings(), as_of=AS_OF, run_id="r", previous={}
    )
    assert result.failures.empty and result.per_file.empty


def test_row_count_drop_against_last_night(company: Path) -> None:
    sources = load_sources(company / "sources.yml")
    settings = load_quality_settings()  # tolerance 25 %, min_rows 20
    previous = {("payments", "payments.csv"): 1000, ("anna", "sheets/a.csv"): 3}
    files = [_line("payments", "payments.csv", 600), _line("anna", "sheets/a.csv", 1)]
    result = file_rule_results(files, sources=sources, settings=settings, as_of=AS_OF, run_id="r", previous=previous)
    f = result.failures.set_index("source_file")
    assert sorted(f.index) == ["payments.csv", "sheets/a.csv"]
    assert f.loc["payments.csv", "value"] == "1000 rows on the last published night, 600 tonight"
    violations = gate_violations(result.per_file)
    # 400 of 1000 rows gone (40 % > 25 %) stops the run; 2 of 3 gone is below min_rows and does not.
    assert [(v.source_file, v.failed, v.checked) for v in violations] == [("payments.csv", 400, 1000)]
    text_ = str(QualityGateError(violations, "/srv/quality.yml"))
    assert "row_count_drop: payments.csv (payments): 400 of the 1000 rows" in text_
    assert "rules.row_count_drop.tolerance" in text_ and "/srv/quality.yml" in text_


def test_a_rotated_file_name_is_not_a_drop_but_a_vanished_source_is(company: Path) -> None:
    sources = load_sources(company / "sources.yml")
    settings = load_quality_settings()
    previous = {("anna", "sheets/2026-11-19.csv"): 100}
    rotated = [_line("anna", "sheets/2026-11-20.csv", 98)]
    ok = file_rule_results(rotated, sources=sources, settings=settings, as_of=AS_OF, run_id="r", previous=previous)
    assert ok.failures.empty
    gone = [_line("anna", "sheets/2026-11-20.csv", 10)]
    bad = file_rule_results(gone, sources=sources, settings=settings, as_of=AS_OF, run_id="r", previous=previous)
    assert bad.failures["source_file"].tolist() == ["sheets/2026-11-19.csv"]
    assert [v.rule for v in gate_violations(bad.per_file)] == ["row_count_drop"]


def test_previous_counts_come_from_the_last_published_run(tmp_path: Path) -> None:
    engine = make_engine(f"duckdb:///{tmp_path / 'wh.duckdb'}")
    assert previous_row_counts(engine, run_id="n3", as_of=AS_OF) == {}
    ensure_schema(engine)
    runs = [("n1", "2026-11-18", "succeeded"), ("n2", "2026-11-19", "failed"), ("n3", "2026-11-20", "running")]
    with engine.begin() as conn:
        for run_id, as_of, status in runs:
            conn.execute(
                text("insert into ops.run (run_id, as_of, status, started_at) values (:r, :a, :s, :a)"),
                {"r": run_id, "a": as_of, "s": status},
            )
            conn.execute(
                text(
                    "insert into ops.reconciliation (run_id, as_of, source_name, source_kind, source_file, status, "
                    "rows_read, rows_loaded, rows_quarantined, is_balanced, is_reused) "
                    "values (:r, :a, 'payments', 'payments', 'payments.csv', 'ok', 9, :n, 0, true, false)"
                ),
                {"r": run_id, "a": as_of, "n": {"n1": 7, "n2": 1, "n3": 2}[run_id]},
            )
    assert previous_row_counts(engine, run_id="n3", as_of=AS_OF) == {("payments", "payments.csv"): 7}
    # A rerun of a published night compares itself with the night before, as its first run did.
    with engine.begin() as conn:
        conn.execute(text("update ops.run set status = 'succeeded' where run_id = 'n3'"))
    assert previous_row_counts(engine, run_id="n3b", as_of=AS_OF) == {("payments", "payments.csv"): 7}
    engine.dispose()


def test_freshness_names_an_unknown_source(company: Path) -> None:
    settings = _settings(company, "freshness:\n  sources: {paymnets: 1}\n")
    with pytest.raises(SettingsError, match=r"freshness\.sources\.paymnets.*did you mean 'payments'"):
        check_source_names(settings, ["payments", "anna"], str(company / "quality.yml"))
