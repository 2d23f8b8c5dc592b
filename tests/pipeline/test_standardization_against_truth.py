"""Standardized values against the generator's truth: what was written correctly comes out right."""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from tests.support import PipelineRun

KEYS = ["source_name", "source_file", "sheet", "row_number"]


@pytest.fixture(scope="module")
def joined(pipeline_run: PipelineRun) -> pd.DataFrame:
    truth = pd.read_parquet(pipeline_run.sample_dir / "truth" / "rows.parquet")
    truth = truth[truth["row_type"] == "record"]
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        got = con.sql(
            "select source_name, source_file, sheet, row_number, phone_e164, email, date_of_birth from staging.contact"
        ).df()
    return truth.merge(got, on=KEYS, how="inner", suffixes=("_true", ""))


def share_right(df: pd.DataFrame, ok: str, true_col: str, got_col: str) -> float:
    rows = df[df[ok].eq(True) & df[true_col].notna()]
    assert len(rows) > 100, f"too few {true_col} written correctly to judge"
    return float((rows[true_col].astype(str) == rows[got_col].astype(str)).mean())


def test_phones_written_correctly_are_standardized_to_the_true_number(joined: pd.DataFrame) -> None:
    assert share_right(joined, "phone_written_ok", "phone", "phone_e164") >= 0.99


def test_emails_written_correctly_are_standardized_to_the_true_address(joined: pd.DataFrame) -> None:
    assert share_right(joined, "email_written_ok", "email_true", "email") >= 0.99


def test_dates_of_birth_written_correctly_are_parsed_to_the_true_date(joined: pd.DataFrame) -> None:
    joined = joined.assign(dob_true=joined["date_of_birth_true"].astype(str), dob=joined["date_of_birth"].astype(str))
    assert share_right(joined, "dob_written_ok", "dob_true", "dob") >= 0.99


def test_every_planted_sentinel_is_recognised(pipeline_run: PipelineRun) -> None:
    defects = pd.read_parquet(pipeline_run.sample_dir / "truth" / "defects.parquet")
    planted = defects[defects["defect"] == "sentinel"]
    assert len(planted) > 20
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        found = con.sql(
            "select source_name, source_file, sheet, row_number, field from staging.field_issue "
            "where issue like 'sentinel:%'"
        ).df()
    found["field"] = found["field"].replace({"street": "address", "city": "address", "postcode": "address"})
    planted = planted.assign(
        field=planted["field"].replace({"street": "address", "city": "address", "postcode": "address"})
    )
    merged = planted.merge(found.drop_duplicates(), on=[*KEYS, "field"], how="left", indicator=True)
    missed = merged[merged["_merge"] == "left_only"]
    assert missed.empty, f"sentinels not recognised:\n{missed[[*KEYS, 'field', 'value']].to_string()}"
