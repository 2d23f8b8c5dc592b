"""A campaign list: money in cents, phones as written (no formula-guard apostrophe on a phone)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from transforms.segments.export import round_money, write_csv


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
