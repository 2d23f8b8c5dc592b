"""Benchmark of the receivables computation at up to a million customers.

Generating a million customers takes long, so a 20,000-customer company is generated and staged once, then
its accounting export is replicated with shifted customer codes and document numbers (each copy is another
20,000 customers with the same behaviour). The timed part is the stage's computation (transforms.receivables
``assess``: settle, roll up, classify, backtest and fit the model, score every customer), not the reading.

Call: ``python -c "from pathlib import Path; from transforms.bench.receivables_probe import bench_receivables;
print(bench_receivables(Path('/tmp/bench'), 1_000_000))"``
"""

from __future__ import annotations

import datetime as dt
import gc
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.pipeline.memory import measure
from transforms.receivables.nulls import keep_where
from transforms.receivables.reliability import assess
from transforms.receivables.settings import load_reliability_file

BASE_CUSTOMERS = 20_000
AS_OF = "2026-11-20"


def staged_base(root: Path, seed: int = 7) -> Path:
    """Generate and stage (once) the 20,000-customer company; returns its standardize folder."""
    run_dir = root / f"data_{BASE_CUSTOMERS}" / "runs" / "bench_receivables"
    staged = run_dir / "standardize"
    if (staged / "invoice.parquet").exists():
        return staged
    from transforms.pipeline import tasks
    from transforms.sample_data import generate_sample

    sample = root / f"sample_{BASE_CUSTOMERS}"
    if not (sample / "sources.yml").exists():
        generate_sample(sample, customers=BASE_CUSTOMERS, seed=seed)
    data = root / f"data_{BASE_CUSTOMERS}"
    prepared = tasks.prepare_run(
        sources=str(sample / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'w.duckdb'}",
        as_of=AS_OF,
        run_id="bench_receivables",
        data_dir=str(data),
    )
    tasks.extract(prepared)
    tasks.standardize(prepared)
    return staged


def _shift(values: pd.Series, copy: int) -> pd.Series:
    """A code or document number made unique to one copy (K00012 -> K00012~3, FV/2025/000007 -> FV3/2025/000007)."""
    if copy == 0:
        return values
    text = values.astype("string")
    shifted = text.str.replace(r"^([^\W\d_]+)", rf"\g<1>{copy}", regex=True)
    return keep_where(shifted.astype("object"), values.notna())


def replicate(frame: pd.DataFrame, copies: int, columns: tuple[str, ...]) -> pd.DataFrame:
    """``copies`` copies of the frame with the given columns shifted per copy and distinct row ids."""
    parts = []
    for k in range(copies):
        part = frame.copy()
        for c in columns:
            part[c] = _shift(part[c], k)
        part["record_id"] = part["record_id"].astype(str) + f"~{k}"
        part["source_file"] = part["source_file"].astype(str) + (f"~{k}" if k else "")
        parts.append(part)
    return pd.concat(parts, ignore_index=True)


def bench_receivables(root: Path, customers: int) -> list[dict[str, Any]]:
    """Time the receivables computation on ``customers`` customers' accounting data (replicated 20k sets)."""
    root.mkdir(parents=True, exist_ok=True)
    staged = staged_base(root)
    copies = max(1, round(customers / BASE_CUSTOMERS))
    inv = pd.read_parquet(staged / "invoice.parquet")
    pay = pd.read_parquet(staged / "payment.parquet")
    con = pd.read_parquet(
        staged / "contact.parquet",
        columns=[
            "record_id",
            "source_name",
            "source_kind",
            "source_file",
            "sheet",
            "row_number",
            "responsible",
            "customer_code",
        ],
    )
    con = con[con["source_kind"] == "accounting_customers"]
    inv = replicate(inv, copies, ("customer_code", "invoice_number", "corrects_invoice"))
    pay = replicate(pay, copies, ("customer_code", "invoice_number", "payment_id"))
    con = replicate(con, copies, ("customer_code",))
    gc.collect()
    settings = load_reliability_file()
    with measure() as m:
        result = assess(
            inv,
            pay,
            con,
            None,
            as_of=dt.date.fromisoformat(AS_OF),
            run_id="bench",
            settings=settings,
            base_currency="PLN",
        )
    return [
        {
            "stage": "receivables",
            "customers": copies * BASE_CUSTOMERS,
            "invoices": len(inv),
            "payments": len(pay),
            "seconds": round(m.seconds, 1),
            "peak_mb": round(m.peak_rss_mb, 0),
            "uses_model": result.model.uses_model,
        }
    ]
