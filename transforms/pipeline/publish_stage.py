"""The publish task: reconcile every file's counts, then swap the night's tables in one transaction.

If any read file's rows do not add up (read = loaded + quarantined), nothing is published and the
run fails naming the file. Otherwise every dataset of the run catalog that fills a warehouse table, the
reconciliation lines and the run's outcome are written in a single transaction: analysts see the previous
night or this one, never a mixture.

This module is the warehouse's one writer of a night's data. A night that stops after its data-quality checks
(the gate refused it, or a later task failed) is not published, but its failing values and metrics still go to
dq.failure and dq.metric on their own (``publish_stopped_night``), so that the control report's trend and the
stewards' queries see the night.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import Connection, Engine, text

from transforms.pipeline.catalog import RunCatalog, TableOutput, load_dataset
from transforms.pipeline.context import RunContext
from transforms.pipeline.tracking import StageResult
from transforms.quality.history import PUBLISHED, holds_quality_rows, run_status
from transforms.quality.reconciliation import reconcile
from transforms.receivables.model_cache import keep_published_model
from transforms.warehouse import ops
from transforms.warehouse.ddl import apply_ddl
from transforms.warehouse.engine import make_engine, safe_url
from transforms.warehouse.load import insert_rows
from transforms.warehouse.nights import (
    check_night_order,
    drop_superseded_runs,
    last_published_night,
    night_is_published,
    replace_night,
)

log = logging.getLogger(__name__)


#: Stages whose figures and paths the published summary repeats (their manifests without the tables).
SUMMARY_STAGES: tuple[str, ...] = ("link", "receivables", "segments")
#: The tables a night that is not published still fills.
QUALITY_TABLES: tuple[str, ...] = ("dq.failure", "dq.metric")


class ReconciliationError(RuntimeError):
    """Rows went missing between reading a file and loading it."""


class RequiredSourceError(RuntimeError):
    """A file the sources file marks as required is missing or unreadable: publishing would drop its records."""


def check_required_files(ctx: RunContext, lines: list[dict[str, Any]]) -> None:
    """Refuse to publish a night in which a required file is missing or could not be read."""
    sources = ctx.load_sources()
    bad = [ln for ln in lines if ln["status"] != "ok" and sources.source(ln["source_name"]).required]
    if bad:
        detail = "; ".join(ln["error"] or ln["source_file"] for ln in bad)
        raise RequiredSourceError(
            f"not publishing, the previous night stays: {len(bad)} required file(s) missing or unreadable: {detail} "
            "(fix the file, or mark the source 'required: false' to publish without it)"
        )


def file_notes(files: list[dict[str, Any]]) -> list[str]:
    """What an operator should know about files that were read: guessed encodings, skipped sheets, missing columns."""
    notes = []
    for f in files:
        if f["status"] != "ok":
            continue
        for note in f.get("notes", []):
            notes.append(f"{f['source_file']}: {note}")
        if f.get("columns_missing"):
            notes.append(f"{f['source_file']}: declared column(s) not found: {', '.join(f['columns_missing'])}")
    return notes


def load_outputs(conn: Connection, ctx: RunContext, outputs: list[TableOutput], *, keep_nights: int) -> None:
    """Load every table inside the caller's transaction.

    replace: the table is emptied and refilled. history: the night's rows are replaced whatever run wrote them
    (a rerun of the night, or a retry, never doubles them), and nights older than ``keep_nights`` before the
    as-of date are pruned. ledger: this run's rows are replaced (a retry never doubles them); the ledger keeps
    every run's entries, each being a change from the state published before it (a rerun that changes nothing
    adds nothing).
    """
    cleared: set[str] = set()
    for out in outputs:
        if out.mode != "replace" and out.name not in cleared:
            if out.mode == "history":
                replace_night(conn, out.name, as_of=ctx.as_of_date)
                drop_superseded_runs(conn, out.name)
                cutoff = ctx.as_of_date - dt.timedelta(days=keep_nights)
                conn.execute(text(f"delete from {out.name} where as_of < :c"), {"c": cutoff})
            else:
                conn.execute(text(f"delete from {out.name} where run_id = :r"), {"r": ctx.run_id})
            cleared.add(out.name)
        load_dataset(conn, out)


#: The source name under which the golden records' own suite reports its metrics.
GOLDEN_SOURCE = "core.customer"


def quality_summary(run: RunCatalog) -> dict[str, Any]:
    """The night's data-quality headline: failing values per rule and where the Data Docs are."""
    manifest = run.manifest("validate")
    by_rule: dict[str, int] = {}
    golden = 0
    # Failing values on golden records are counted by the golden records' own suite (its dq.metric rows): a
    # failure names source rows only where a row is asked to fix it, so the rows would undercount it.
    for o in run.warehouse_loads(tables={"dq.metric"}):
        if o.dataset != "validate.metric" and o.path:
            metric = pq.read_table(o.path, columns=["source_name", "failed"]).to_pandas()
            golden += int(metric.loc[metric["source_name"] == GOLDEN_SOURCE, "failed"].sum())
    for o in run.warehouse_loads(tables={"dq.failure"}):
        if not o.path:
            continue
        # Only the two columns counted (a night of a million customers has millions of failing values).
        says = "found_on" in pq.read_schema(o.path).names
        frame = pq.read_table(o.path, columns=["rule", "found_on"] if says else ["rule"]).to_pandas()
        if not says:  # a stage that does not say: its rows are source rows
            frame = frame.assign(found_on="source_row")
        on_golden = frame["found_on"] == "golden_record"
        for rule, n in frame.loc[~on_golden, "rule"].value_counts().items():
            by_rule[str(rule)] = by_rule.get(str(rule), 0) + int(n)
    return {
        "failures_by_rule": by_rule,  # failing values on source rows (every stage's)
        "golden_record_failures": golden,  # failing values on golden records (customer, rule, field)
        "data_docs": manifest.get("data_docs"),
    }


def _headline(run: RunCatalog, stage: str) -> dict[str, Any]:
    """A stage's manifest without its list of tables: the figures and paths an operator reads."""
    return {k: v for k, v in run.manifest(stage).items() if k not in ("publish", "views")}


def name_failing_customers(conn: Connection, run_id: str) -> None:
    """The night's failures of source rows get their customer_id, now that the rows are linked."""
    for table in ("core.customer_source_record", "core.invoice", "core.payment"):
        conn.execute(
            text(
                f"update dq.failure set customer_id = (select t.customer_id from {table} t "
                "where t.record_id = dq.failure.record_id) "
                f"where run_id = :r and customer_id is null and record_id in (select record_id from {table})"
            ),
            {"r": run_id},
        )


def was_published(ctx: RunContext, engine: Engine) -> bool:
    """Whether the publish task loaded this run: ops.run says so, or its summary is there."""
    if run_status(engine, ctx.run_id) in PUBLISHED:
        return True
    summary = ctx.catalog.path("publish.summary")
    if summary.exists():
        data = json.loads(summary.read_text("utf-8"))
        return bool(data.get("run_id") == ctx.run_id and data.get("status") in PUBLISHED)
    return False


def publish_stopped_night(ctx: RunContext, *, unless_held: bool = False) -> int | None:
    """Put the failing values and metrics of a night that stopped after its checks into dq.* on their own.

    Loads, in one transaction, the night's datasets of dq.failure and dq.metric that its stages wrote before it
    stopped (the night's rows replaced, whichever run wrote them, so a retry or a rerun never doubles them);
    staging, core and marts keep the previous night. Returns the rows loaded, or None when nothing is written:
    the checks did not run, the run was published, another run published the night (its rows describe the
    tables that are there), or the night is older than the newest published one; with ``unless_held``, also
    when the warehouse already holds this run's dq rows (the report's check after a task killed outright).
    """
    run = ctx.catalog
    if not run.has_manifest("validate"):
        return None
    engine = make_engine(ctx.warehouse_url)
    loaded = 0
    try:
        if was_published(ctx, engine) or (unless_held and holds_quality_rows(engine, ctx.run_id)):
            return None
        with engine.begin() as conn:
            apply_ddl(conn)
            newest = last_published_night(conn, other_than=ctx.run_id)
            if newest is not None and (ctx.as_of_date < newest or night_is_published(conn, ctx.as_of_date)):
                return None
            outputs = run.warehouse_loads(tables=set(QUALITY_TABLES), require=False)
            for table in QUALITY_TABLES:
                replace_night(conn, table, as_of=ctx.as_of_date)
                loaded += sum(load_dataset(conn, o) for o in outputs if o.name == table)
    finally:
        engine.dispose()
    return loaded


def keep_night_model(ctx: RunContext) -> None:
    """Keep the late-payment model the night trained for the nights after it, now that it is published; one
    that cannot be kept is trained again by a later night, never a reason to fail a published night."""
    try:
        staged = ctx.catalog.path("receivables.trained_model")
        kept = keep_published_model(staged, ctx.late_payment_models, ctx.as_of_date)
    except OSError as exc:
        log.warning("the night's late-payment model was not kept (%s): a later night trains one", exc)
        return
    if kept is not None:
        log.info("late-payment model kept for the next nights: %s", kept)


def run_publish(ctx: RunContext) -> StageResult:
    """Reconcile, then publish the night's tables, reconciliation and run outcome atomically."""
    run = ctx.catalog
    files = run.manifest("extract")["files"]
    standardized = run.manifest("standardize")
    staged = {t: run.written(f"standardize.{t}") for t in ("contact", "invoice", "payment", "quarantine")}
    lines = reconcile(files, staged, run_id=ctx.run_id, as_of=ctx.as_of_date)
    unbalanced = [ln for ln in lines if not ln["is_balanced"]]
    if unbalanced:
        detail = "; ".join(
            f"{ln['source_file']}: read {ln['rows_read']} but loaded {ln['rows_loaded']} + "
            f"quarantined {ln['rows_quarantined']}"
            for ln in unbalanced
        )
        raise ReconciliationError(f"counts do not reconcile, nothing published: {detail}")
    check_required_files(ctx, lines)
    failed = [ln for ln in lines if ln["status"] != "ok"]
    counts = {
        "rows_read": sum(ln["rows_read"] for ln in lines),
        "rows_loaded": sum(ln["rows_loaded"] for ln in lines),
        "rows_quarantined": sum(ln["rows_quarantined"] for ln in lines),
        "files_failed": len(failed),
        "files_extract_reused": sum(bool(ln["is_reused"]) for ln in lines),
        "files_standardize_reused": int(standardized.get("files_reused") or 0),
        "files_validate_reused": int(run.manifest("validate").get("files_reused") or 0),
    }
    status = "succeeded_with_errors" if failed else "succeeded"
    outputs = run.warehouse_loads()
    views = run.views()
    keep_nights = ctx.load_sources().history.keep_nights
    message = "; ".join(ln["error"] for ln in failed if ln["error"]) or None
    summary = {
        "run_id": ctx.run_id,
        "as_of": ctx.as_of,
        "status": status,
        "warehouse": safe_url(ctx.warehouse_url),
        "run_dir": ctx.run_dir,
        "counts": counts,
        "files": lines,
        "notes": file_notes(files),
        "quality": quality_summary(run),
        "stages": {stage: _headline(run, stage) for stage in SUMMARY_STAGES},
    }
    run.stage_folder("publish")
    summary_path = run.path("publish.summary")
    summary_path.unlink(missing_ok=True)
    engine = make_engine(ctx.warehouse_url)
    try:
        with engine.begin() as conn:
            apply_ddl(conn)
            # Checked again here (prepare_run did first): another run may have published a newer night since.
            check_night_order(conn, as_of=ctx.as_of_date, run_id=ctx.run_id, allow_older_night=ctx.allow_older_night)
            load_outputs(conn, ctx, outputs, keep_nights=keep_nights)
            name_failing_customers(conn, ctx.run_id)
            for view in views:
                conn.exec_driver_sql(view)
            # One set of reconciliation lines per night: those of the run that published it last.
            replace_night(conn, "ops.reconciliation", as_of=ctx.as_of_date)
            drop_superseded_runs(conn, "ops.reconciliation")
            insert_rows(conn, "ops.reconciliation", lines)
            ops.finish_run(conn, run_id=ctx.run_id, status=status, counts=counts, message=message)
            # Written before the commit, so that a run killed right after it still has its summary; a summary
            # whose commit did not happen is removed below, and `crm-etl summary` trusts ops.run over the file.
            run.write_json("publish.summary", summary)
    except BaseException:
        summary_path.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    keep_night_model(ctx)
    path = str(summary_path)
    log.info("published run %s: %s", ctx.run_id, counts)
    return StageResult(path, rows_in=counts["rows_read"], rows_out=counts["rows_loaded"])
