"""The receivables task: tonight's accounting export becomes settled invoices and each customer's reliability.

Reads the staged invoices, payments and contacts, and the linkage stage's record-to-customer links when that
stage has run (without them, customers are rolled up per accounting code and customer_id stays empty).
Writes core.invoice, core.payment, the reliability marts (current and nightly history), the notes that
disagree with accounting (appended to dq.failure) and the late-payment model's page. The late-payment model is
trained every few nights and kept in the data folder in between (``transforms.receivables.model_cache``; a
night's model is kept by publish).
Nothing is written to the warehouse here: publish loads the folder's tables in one transaction.
"""

from __future__ import annotations

import json
import logging
import pickle
from importlib.metadata import version
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from transforms.lineage import RECORD_LINEAGE
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.pipeline.tracking import StageResult
from transforms.receivables.history_class import patterns_json
from transforms.receivables.ledger import INVOICE_INPUT, PAYMENT_INPUT
from transforms.receivables.model_cache import latest_before, write_trained
from transforms.receivables.notes import read_extract_column
from transforms.receivables.reliability import Assessment, assess
from transforms.receivables.report import write_report
from transforms.receivables.settings import load_reliability

log = logging.getLogger(__name__)

_CONTACT_COLUMNS = [*RECORD_LINEAGE, "customer_code", "attributes"]
#: The datasets this stage writes for publishing, in load order.
_TABLES = (
    "receivables.invoice",
    "receivables.payment",
    "receivables.customer_reliability",
    "receivables.account_reliability",
    "receivables.customer_balance",
    "receivables.note_failure",
    "receivables.note_metric",
)


def _staged(run: RunCatalog, name: str, columns: list[str]) -> Path | pa.Table:
    """A staged table: its Parquet file, scanned by DuckDB (the ledger never becomes Python objects), or an
    empty table with ``columns`` when the stage wrote none tonight."""
    path = run.written(name)
    if path is None:
        return pa.table({c: pa.array([], pa.string()) for c in columns})
    return path


def _rows(table: Path | pa.Table) -> int:
    return int(pq.read_metadata(table).num_rows if isinstance(table, Path) else table.num_rows)


def read_links(run: RunCatalog) -> Path | None:
    """The linkage stage's record -> customer links (its Parquet file), or None when it has not run in this run."""
    return run.written("link.customer_source_record")


def write_outputs(result: Assessment, run: RunCatalog) -> None:
    """Write the night's tables (the settled ledger is written by ``assess`` itself)."""
    customers = result.customers.drop(columns=["customer_key"]).assign(
        risk_source="model" if result.model.uses_model else "rule"
    )
    run.write("receivables.customer_reliability", customers)
    run.write("receivables.account_reliability", result.accounts)
    run.write("receivables.customer_balance", result.balances.drop(columns=["customer_key"]))
    run.write("receivables.note_failure", result.failures)
    run.write("receivables.note_metric", result.note_metric)


def run_receivables(ctx: RunContext) -> StageResult:
    """Settle tonight's accounting export and write every customer's payment reliability."""
    run = ctx.catalog
    run.manifest("standardize")  # the stage has run
    settings, origin = load_reliability(ctx.settings_file)
    origin = ctx.shown(origin)
    base_currency = settings.base_currency or ctx.load_sources().defaults.currency
    run.stage_folder("receivables")

    invoices = _staged(run, "standardize.invoice", INVOICE_INPUT)
    payments = _staged(run, "standardize.payment", PAYMENT_INPUT)
    contacts = _staged(run, "standardize.contact", _CONTACT_COLUMNS)
    links = read_links(run)
    if links is None:
        log.info("no customer links in this run: reliability is rolled up per accounting code")
    field = settings.note.field.removeprefix("attributes.")
    files = run.manifest("extract")["files"] if run.has_manifest("extract") else []
    extracts = read_extract_column(files, field)

    result = assess(
        invoices,
        payments,
        contacts,
        links,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        settings=settings,
        base_currency=base_currency,
        ledger=(run.path("receivables.invoice"), run.path("receivables.payment")),
        note_field=settings.note.field,
        extracts=extracts,
        kept_model=latest_before(ctx.late_payment_models, ctx.as_of_date),
        asked_full=ctx.full_relink,
    )
    # A model trained tonight is kept for the next nights by publish, once this night is in the warehouse.
    staged_model = run.path("receivables.trained_model")
    staged_model.unlink(missing_ok=True)
    if result.trained_tonight and result.trained is not None:
        write_trained(staged_model, result.trained)
    write_outputs(result, run)
    patterns = run.path("receivables.class_patterns")
    if result.patterns is not None:
        run.write_text(
            "receivables.class_patterns", json.dumps(patterns_json(result.patterns, settings.classes), indent=1)
        )
    versions = {p: version(p) for p in ("scikit-learn", "pandas", "numpy", "duckdb")}
    report = write_report(
        result.model,
        run.path("receivables.model_page"),
        figures=run.path("receivables.model_figures"),
        run_id=ctx.run_id,
        as_of=ctx.as_of,
        versions=versions,
        trained=result.trained,
        training_reason=result.training_reason,
    )
    if result.model.model is not None:
        with run.path("receivables.model").open("wb") as fh:
            pickle.dump(result.model.model, fh)
    log.info("receivables: %s", json.dumps(result.counts, default=str))
    manifest_path = run.write_manifest(
        "receivables",
        {
            "settings": origin,
            "linked": links is not None,
            "base_currency": base_currency,
            "counts": result.counts,
            "model": {
                **result.model.summary(),
                "trained_tonight": result.trained_tonight,
                "trained_as_of": result.trained.trained_on.isoformat() if result.trained else None,
                "training": result.training_reason,
            },
            "report": str(report),
            "class_patterns": str(patterns) if result.patterns is not None else None,
            "publish": run.publish_section(list(_TABLES)),
        },
    )
    return StageResult(manifest_path, rows_in=_rows(invoices) + _rows(payments), rows_out=len(result.customers))
