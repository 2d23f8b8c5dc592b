"""The receivables benchmark's building blocks: replicated copies stay distinct, figures land in their block."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from devkit.bench.blocks import write_block
from devkit.bench.receivables_probe import replicate_file


def test_replicated_copies_have_distinct_codes_numbers_and_ids(tmp_path: Path) -> None:
    source = tmp_path / "invoice.parquet"
    pd.DataFrame(
        {
            "record_id": ["r1", "r2"],
            "source_file": ["a.csv", "a.csv"],
            "customer_code": ["K00012", None],
            "invoice_number": ["FV/2025/000007", "FV/2025/000008"],
            "amount": [10.0, 20.0],
        }
    ).to_parquet(source)
    target = tmp_path / "copies.parquet"
    assert replicate_file(source, target, copies=3) == 6
    out = pd.read_parquet(target)
    assert out["record_id"].is_unique and out["invoice_number"].is_unique
    assert sorted(out["customer_code"].dropna()) == ["K00012", "K100012", "K200012"]
    assert out["customer_code"].isna().sum() == 3
    assert sorted(out["amount"]) == [10.0, 10.0, 10.0, 20.0, 20.0, 20.0]


def test_a_block_is_replaced_in_place_and_appended_when_missing(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n\nintro\n", "utf-8")
    write_block(doc, "receivables", "first")
    write_block(doc, "other", "x")
    write_block(doc, "receivables", "second")
    text = doc.read_text("utf-8")
    assert "first" not in text and text.count("second") == 1
    assert text.index("second") < text.index("<!-- bench:other:begin -->")
    assert text.startswith("# Benchmarks\n\nintro\n")
