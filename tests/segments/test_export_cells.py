"""A campaign list: money in cents, phones as written (no formula-guard apostrophe on a phone)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from openpyxl import load_workbook

from transforms.segments.export import round_money, write_csv, write_xlsx


def test_money_is_rounded_to_cents_and_phones_stay_as_written(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["C000001", "C000002"],
            "phone_e164": ["+48 600 123 456", '=HYPERLINK("x")'],
            "avg_invoice_amount": [5300.099999999999, 12.345],
            "invoices_per_year": [3.5, 1.0],
        }
    )
    out = tmp_path / "list.csv"
    write_csv(round_money(frame), out)
    text = out.read_text("utf-8-sig")
    assert "5300.1" in text and "5300.099999999999" not in text
    assert ",+48 600 123 456," in text  # a phone is no formula
    assert "'=HYPERLINK" in text  # a formula still is


def test_text_columns_of_any_dtype_are_guarded(tmp_path: Path) -> None:
    # A text column read as pandas' string dtype (not object) is guarded like any other text.
    frame = pd.DataFrame(
        {
            "customer_id": pd.Series(["C000001", "C000002"], dtype="string"),
            "surname": pd.Series(['=HYPERLINK("x")', "@SUM(A1)"], dtype="string"),
            "channel": pd.Series(["-2+3", "radio"], dtype="category"),
            "invoices_per_year": [2, 3],
        }
    )
    out = tmp_path / "list.csv"
    write_csv(frame, out)
    text = out.read_text("utf-8-sig")
    assert "'=HYPERLINK" in text and "'@SUM(A1)" in text and "'-2+3" in text
    assert ",2\n" in text.replace("\r\n", "\n")  # numbers stay numbers


def test_xlsx_keeps_numbers_dates_and_empties_as_values(tmp_path: Path) -> None:
    frame = pd.DataFrame(
        {
            "customer_id": ["C000001", "C000002"],
            "surname": ['=HYPERLINK("x")', None],
            "first_seen_on": [dt.date(2026, 1, 2), None],
            "updated_at": pd.to_datetime(["2026-01-02 10:00", "2026-01-03 11:00"]).tz_localize("UTC"),
            "days_since_last_invoice": [12.0, float("nan")],
        }
    )
    out = tmp_path / "list.xlsx"
    write_xlsx(frame, out, title="t")
    ws = load_workbook(out).active
    assert ws is not None
    first, second = list(ws.iter_rows(min_row=2, max_row=3))
    assert first[1].value == '=HYPERLINK("x")' and first[1].data_type == "s" and first[1].quotePrefix
    assert first[2].value == dt.datetime(2026, 1, 2)  # a date cell, not text
    assert first[3].value == "2026-01-02T10:00:00+00:00"  # Excel has no time zone: ISO text
    assert first[4].value == 12
    assert second[1].value is None and second[2].value is None and second[4].value is None
