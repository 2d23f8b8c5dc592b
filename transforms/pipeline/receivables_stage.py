"""The receivables task: tonight's accounting export becomes settled invoices and each customer's reliability.

Reads the staged invoices, payments and contacts, and the linkage stage's record-to-customer links when that
stage has run (without them, customers are rolled up per accounting code and customer_id stays empty).
Writes core.invoice, core.payment, the reliability marts (current and nightly history), the notes that
disagree with accounting (appended to dq.failure) and the late-payment model's page. Nothing is written to
the warehouse here: publish loads the folder's tables in one transaction.
"""

from __future__ import annotations

import json
import logging
import pickle
from importlib.metadata import version
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lineage import RECORD_LINEAGE
from transforms.pipeline.context import RunContext
from transforms.pipeline.manifest import read_manifest, write_manifest
from transforms.pipeline.outputs import TableOutput, publish_section, table_output
from transforms.pipeline.tracking import StageResult
from transforms.receivables.history_class import patterns_json
from transforms.receivables.ledger import INVOICE_INPUT, PAYMENT_INPUT
from transforms.receivables.notes import read_extract_column
from transforms.receivables.reliability import Assessment, assess
from transforms.receivables.report import write_report
from transforms.receivables.settings import load_reliability
from transforms.warehouse.table_schemas import conform

log = logging.getLogger(__name__)

_CONTACT_COLUMNS = [*RECORD_LINEAGE, "customer_code", "attributes"]


def _staged(path: str | None, columns: list[str]) -> Path | pa.Table:
    """A staged table: its Parquet file, scanned by DuckDB (the ledger never becomes Python objects), or an
    empty table with ``columns`` when the stage wrote none tonight."""
    if not path:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    return Path(path)


def _rows(table: Path | pa.Table) -> int:
    return int(pq.read_metadata(table).num_rows if isinstance(table, Path) else table.num_rows)


def read_links(run_dir: Path) -> Path | None:
    """The linkage stage's record -> customer links (its Parquet file), or None when it has not run in this run."""
    path = run_dir / "link" / "customer_source_record.parquet"
    return path if path.exists() else None


def _write(table: str, frame: pd.DataFrame, path: Path) -> Path | None:
    """``frame`` as the Parquet file of warehouse ``table`` (a column empty tonight, such as customer_id without
    links, typed as the table says); None, and no file, when it has no rows."""
    if not len(frame):
        path.unlink(missing_ok=True)
        return None
    pq.write_table(conform(table, frame), path)
    return path


def write_outputs(result: Assessment, out_dir: Path) -> list[TableOutput]:
    """Write the night's tables and describe them for publishing."""
    customers = result.customers.drop(columns=["customer_key"]).assign(
        risk_source="model" if result.model.uses_model else "rule"
    )
    paths = {
        "invoice": result.invoices,
        "payment": result.payments,
        "customer_reliability": _write(
            "marts.customer_reliability", customers, out_dir / "customer_reliability.parquet"
        ),
        "account_reliability": _write(
            "marts.account_reliability", result.accounts, out_dir / "account_reliability.parquet"
        ),
        "customer_balance": _write(
            "marts.customer_balance",
            result.balances.drop(columns=["customer_key"]),
            out_dir / "customer_balance.parquet",
        ),
        "failure": _write("dq.failure", result.failures, out_dir / "reliability_note_failure.parquet"),
        "metric": _write("dq.metric", result.note_metric, out_dir / "reliability_note_metric.parquet"),
    }
    return [
        table_output("core", "invoice", paths["invoice"]),
        table_output("core", "payment", paths["payment"]),
        table_output("marts", "customer_reliability", paths["customer_reliability"]),
        table_output("marts", "customer_reliability_history", paths["customer_reliability"], mode="history"),
        table_output("marts", "account_reliability", paths["account_reliability"]),
        table_output("marts", "customer_balance", paths["customer_balance"]),
        table_output("dq", "failure", paths["failure"], mode="history"),
        table_output("dq", "metric", paths["metric"], mode="history"),
    ]


def run_receivables(ctx: RunContext) -> StageResult:
    """Settle tonight's accounting export and write every customer's payment reliability."""
    run_dir = Path(ctx.run_dir)
    tables = read_manifest(run_dir / "standardize" / "manifest.json")["tables"]
    settings, origin = load_reliability(ctx.settings_file)
    origin = ctx.shown(origin)
    base_currency = settings.base_currency or ctx.load_sources().defaults.currency
    out_dir = ctx.stage_dir("receivables")

    invoices = _staged(tables["invoice"]["path"], INVOICE_INPUT)
    payments = _staged(tables["payment"]["path"], PAYMENT_INPUT)
    contacts = _staged(tables["contact"]["path"], _CONTACT_COLUMNS)
    links = read_links(run_dir)
    if links is None:
        log.info("no customer links in this run: reliability is rolled up per accounting code")
    field = settings.note.field.removeprefix("attributes.")
    extracts = read_extract_column(run_dir / "extract" / "manifest.json", field)

    result = assess(
        invoices,
        payments,
        contacts,
        links,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        settings=settings,
        base_currency=base_currency,
        ledger_dir=out_dir,
        note_field=settings.note.field,
        extracts=extracts,
    )
    outputs = write_outputs(result, out_dir)
    patterns = out_dir / "class_patterns.json"
    if result.patterns is not None:
        patterns.write_text(json.dumps(patterns_json(result.patterns, settings.classes), indent=1), "utf-8")
    versions = {p: version(p) for p in ("scikit-learn", "pandas", "numpy", "duckdb")}
    report = write_report(result.model, out_dir / "model.html", run_id=ctx.run_id, as_of=ctx.as_of, versions=versions)
    if result.model.model is not None:
        with (out_dir / "model.pkl").open("wb") as fh:
            pickle.dump(result.model.model, fh)
    log.info("receivables: %s", json.dumps(result.counts, default=str))
    manifest_path = write_manifest(
        out_dir / "manifest.json",
        {
            "settings": origin,
            "linked": links is not None,
            "base_currency": base_currency,
            "counts": result.counts,
            "model": result.model.summary(),
            "report": str(report),
            "class_patterns": str(patterns) if result.patterns is not None else None,
            "publish": publish_section(outputs),
        },
    )
    return StageResult(manifest_path, rows_in=_rows(invoices) + _rows(payments), rows_out=len(result.customers))
