"""Counts reconcile against the generator's truth (a rerun of the same night: tests/pipeline/test_nights.py)."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.support import DATA_TABLES, PipelineRun


def test_every_file_reconciles_with_the_truth(pipeline_run: PipelineRun) -> None:
    truth = pd.read_parquet(pipeline_run.sample_dir / "truth" / "rows.parquet")
    expected = (
        truth.assign(is_record=truth["row_type"].eq("record"))
        .groupby(["source_name", "source_file"])
        .agg(read=("row_number", "size"), loaded=("is_record", "sum"))
    )
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        rec = con.sql("select * from ops.reconciliation where run_id = 'test_run_1'").df()
        run = con.sql("select * from ops.run where run_id = 'test_run_1'").df()
    got = rec.set_index(["source_name", "source_file"])
    assert set(got.index) == set(expected.index)
    assert (got["rows_read"] == expected["read"].reindex(got.index)).all()
    assert (got["rows_loaded"] == expected["loaded"].reindex(got.index)).all()
    assert got["is_balanced"].all() and (got["rows_read"] == got["rows_loaded"] + got["rows_quarantined"]).all()
    assert run["status"].item() == "succeeded"
    assert run["rows_read"].item() == len(truth)


def test_quarantine_reasons_match_the_planted_non_record_rows(pipeline_run: PipelineRun) -> None:
    truth = pd.read_parquet(pipeline_run.sample_dir / "truth" / "rows.parquet")
    planted = truth[truth["row_type"] != "record"]
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        q = con.sql("select source_name, source_file, sheet, row_number, reason from staging.quarantine").df()
    merged = planted.merge(q, on=["source_name", "source_file", "sheet", "row_number"], how="left")
    assert merged["reason"].notna().all()
    prefix = {
        "blank": "blank_row",
        "section_title": "non_record_row",
        "total": "totals_row",
        "repeated_header": "repeated_header",
        "malformed": "unreadable_row",
    }
    for kind, expected in prefix.items():
        reasons = merged.loc[merged["row_type"] == kind, "reason"]
        assert reasons.str.startswith(expected).all(), (kind, reasons.unique())


@pytest.mark.parametrize("table", DATA_TABLES)
def test_every_table_is_not_empty(pipeline_run: PipelineRun, table: str) -> None:
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        assert con.execute(f"select count(*) from {table}").fetchone()[0] > 0
