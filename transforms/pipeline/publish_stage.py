"""The publish task: reconcile every file's counts, then swap the night's tables in one transaction.

If any read file's rows do not add up (read = loaded + quarantined), nothing is published and the
run fails naming the file. Otherwise every staged table, the reconciliation lines and the run's
outcome are written in a single transaction: analysts see the previous night or this one, never a
mixture.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
from sqlalchemy import Connection, text

from transforms.pipeline.context import RunContext
from transforms.pipeline.manifest import read_manifest, write_manifest
from transforms.pipeline.outputs import TableOutput, read_outputs, read_views, table_output
from transforms.pipeline.standardize_stage import LOADED_TABLE, TABLES
from transforms.pipeline.tracking import StageResult
from transforms.warehouse import ops
from transforms.warehouse.ddl import apply_ddl
from transforms.warehouse.engine import make_engine, safe_url
from transforms.warehouse.load import append_parquet, insert_rows, replace_table
from transforms.warehouse.nights import check_night_order, drop_superseded_runs, replace_night

log = logging.getLogger(__name__)


#: Stages whose manifests list warehouse tables to publish (besides standardize and validate), in load order.
OUTPUT_STAGES: tuple[str, ...] = ("link", "receivables", "segments")


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


def _counts_by_file(path: str | None, kinds: set[str] | None = None) -> dict[tuple[str, str], int]:
    if path is None:
        return {}
    table = pq.read_table(path, columns=["source_name", "source_file"])
    grouped = table.group_by(["source_name", "source_file"]).aggregate([([], "count_all")])
    return {
        (n, f): c
        for n, f, c in zip(
            grouped["source_name"].to_pylist(),
            grouped["source_file"].to_pylist(),
            grouped["count_all"].to_pylist(),
            strict=True,
        )
    }


def reconcile(ctx: RunContext, files: list[dict[str, Any]], tables: dict[str, Any]) -> list[dict[str, Any]]:
    """One reconciliation line per file: read = loaded + quarantined, or the file's error."""
    loaded = {t: _counts_by_file(tables[t]["path"]) for t in ("contact", "invoice", "payment")}
    quarantined = _counts_by_file(tables["quarantine"]["path"])
    lines = []
    for f in files:
        key = (f["source_name"], f["source_file"])
        n_loaded = loaded[LOADED_TABLE[f["source_kind"]]].get(key, 0)
        n_quarantined = quarantined.get(key, 0)
        read = f["rows_read"]
        lines.append(
            {
                "run_id": ctx.run_id,
                "as_of": ctx.as_of_date,
                "source_name": f["source_name"],
                "source_kind": f["source_kind"],
                "source_file": f["source_file"],
                "file_sha256": f["file_sha256"],
                "status": f["status"],
                "rows_read": read,
                "rows_physical": f.get("rows_physical") if f["status"] == "ok" else None,
                "rows_loaded": n_loaded,
                "rows_quarantined": n_quarantined,
                "is_balanced": read == n_loaded + n_quarantined,
                "is_reused": bool(f.get("reused")),
                "error": f["error"],
            }
        )
    return lines


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


def quality_outputs(ctx: RunContext) -> list[TableOutput]:
    """The validate stage's failures and metrics, kept in dq.* across nights (one set per run)."""
    manifest = Path(ctx.run_dir) / "validate" / "manifest.json"
    if not manifest.exists():
        raise FileNotFoundError(f"{manifest} is missing: the validate stage has not run for this run")
    folder = manifest.parent
    return [table_output("dq", t, folder / f"{t}.parquet", mode="history") for t in ("failure", "metric")]


def staging_outputs(tables: dict[str, Any]) -> list[TableOutput]:
    """The standardize stage's tables: staging.* holds the last published night only."""
    return [table_output("staging", t, Path(tables[t]["path"]) if tables[t]["path"] else None) for t in TABLES]


def stage_outputs(ctx: RunContext) -> tuple[list[TableOutput], list[str]]:
    """Tables and views the derived stages (linkage, receivables, segments) ask to publish."""
    outputs: list[TableOutput] = []
    views: list[str] = []
    for stage in OUTPUT_STAGES:
        manifest = Path(ctx.run_dir) / stage / "manifest.json"
        if not manifest.exists():
            raise FileNotFoundError(f"{manifest} is missing: the {stage} stage has not run for this run")
        outputs.extend(read_outputs(manifest))
        views.extend(read_views(manifest))
    return outputs, views


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
        if out.mode == "replace":
            replace_table(conn, out.schema, out.table, Path(out.path) if out.path else None)
            continue
        if out.name not in cleared:
            if out.mode == "history":
                replace_night(conn, out.name, as_of=ctx.as_of_date)
                drop_superseded_runs(conn, out.name)
                cutoff = ctx.as_of_date - dt.timedelta(days=keep_nights)
                conn.execute(text(f"delete from {out.name} where as_of < :c"), {"c": cutoff})
            else:
                conn.execute(text(f"delete from {out.name} where run_id = :r"), {"r": ctx.run_id})
            cleared.add(out.name)
        if out.path:
            append_parquet(conn, out.schema, out.table, Path(out.path))


#: The source name under which the golden records' own suite reports its metrics.
GOLDEN_SOURCE = "core.customer"


def quality_summary(ctx: RunContext) -> dict[str, Any]:
    """The night's data-quality headline: failing values per rule and where the Data Docs are."""
    manifest = read_manifest(Path(ctx.run_dir) / "validate" / "manifest.json")
    by_rule: dict[str, int] = {}
    golden = 0
    derived, _ = stage_outputs(ctx)
    paths = [Path(ctx.run_dir) / "validate" / "failure.parquet"]
    paths += [Path(o.path) for o in derived if (o.schema, o.table) == ("dq", "failure") and o.path]
    # Failing values on golden records are counted by the golden records' own suite (its dq.metric rows): a
    # failure names source rows only where a row is asked to fix it, so the rows would undercount it.
    for o in derived:
        if (o.schema, o.table) == ("dq", "metric") and o.path and Path(o.path).exists():
            metric = pq.read_table(o.path, columns=["source_name", "failed"]).to_pandas()
            golden += int(metric.loc[metric["source_name"] == GOLDEN_SOURCE, "failed"].sum())
    for path in paths:
        if not path.exists():
            continue
        frame = pq.read_table(path).to_pandas()
        if "found_on" not in frame.columns:  # a stage that does not say: its rows are source rows
            frame = frame.assign(found_on="source_row", customer_id=None)
        on_golden = frame["found_on"] == "golden_record"
        for rule, n in frame.loc[~on_golden, "rule"].value_counts().items():
            by_rule[str(rule)] = by_rule.get(str(rule), 0) + int(n)
    return {
        "failures_by_rule": by_rule,  # failing values on source rows (every stage's)
        "golden_record_failures": golden,  # failing values on golden records (customer, rule, field)
        "data_docs": manifest.get("data_docs"),
    }


def _headline(manifest: Path) -> dict[str, Any]:
    """A stage's manifest without its list of tables: the figures and paths an operator reads."""
    data = read_manifest(manifest)
    return {k: v for k, v in data.items() if k not in ("publish", "views")}


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


def run_publish(ctx: RunContext) -> StageResult:
    """Reconcile, then publish the night's staging tables, reconciliation and run outcome atomically."""
    files = read_manifest(Path(ctx.run_dir) / "extract" / "manifest.json")["files"]
    tables = read_manifest(Path(ctx.run_dir) / "standardize" / "manifest.json")["tables"]
    lines = reconcile(ctx, files, tables)
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
    }
    status = "succeeded_with_errors" if failed else "succeeded"
    derived, views = stage_outputs(ctx)
    outputs = staging_outputs(tables) + quality_outputs(ctx) + derived
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
        "quality": quality_summary(ctx),
        "stages": {stage: _headline(Path(ctx.run_dir) / stage / "manifest.json") for stage in OUTPUT_STAGES},
    }
    summary_path = ctx.stage_dir("publish") / "summary.json"
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
            write_manifest(summary_path, summary)
    except BaseException:
        summary_path.unlink(missing_ok=True)
        raise
    finally:
        engine.dispose()
    path = str(summary_path)
    log.info("published run %s: %s", ctx.run_id, counts)
    return StageResult(path, rows_in=counts["rows_read"], rows_out=counts["rows_loaded"])
