"""The report task: the night's control report, each employee's to-do list and reminder, on every night.

It runs whatever happened before it (trigger rule ``all_done`` in the DAG), and reads only: the warehouse for
the trend of earlier nights, the run catalog for tonight's failing values and metrics (every stage's that ran).
It never writes the warehouse. On a gated night (or one that failed after its checks) nothing was published; the
night's dq.failure and dq.metric rows went into the warehouse when the night stopped
(``publish_stage.publish_stopped_night``), so the trend and the stewards' queries see it. When the task that
stopped was killed outright, the report task's wrapper loads them before the report reads (``tracking.tracked``).

Writes the run catalog's ``report.page`` (self-contained HTML), ``report.todo`` (``todo_<employee>.xlsx`` and
``reminder_<employee>.txt``) and ``report.manifest`` (whose ``dq_rows_in_warehouse`` says whether the warehouse
holds this unpublished night's dq rows). Returns the report's path.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.pipeline.publish_stage import was_published
from transforms.pipeline.tracking import StageResult
from transforms.quality.columns import DQ_FAILURE_COLUMNS, METRIC_COLUMNS
from transforms.quality.customer_rows import name_customers
from transforms.quality.file_rules import file_path
from transforms.quality.history import holds_quality_rows, metric_history
from transforms.quality.settings import QualitySettings, load_quality_settings, settings_for_sources
from transforms.reporting.measures import scores
from transforms.reporting.report import ReportInputs, render_report
from transforms.reporting.staff import Directory, StaffFile, load_staff, resolve_employees
from transforms.reporting.todo import write_todo_lists
from transforms.settings import SettingsError, SourcesFile
from transforms.warehouse.engine import make_engine

log = logging.getLogger(__name__)

CONTACT_COLUMNS = ["record_id", "source_name", "responsible", "last_updated_on", "physical_row"]


def night_datasets(run: RunCatalog, table: str) -> list[str]:
    """The night's datasets of dq.<table>: the validate stage's, then those of later stages that ran
    (the consolidated-customer suite of link, the reliability notes of receivables)."""
    loads = run.warehouse_loads(tables={f"dq.{table}"}, require=False)
    return [o.dataset for o in loads if o.path and Path(o.path).exists()]


def _staged(
    run: RunCatalog, table: str, columns: list[str], matching: Mapping[str, Iterable[object]] | None = None
) -> pd.DataFrame:
    return run.read(f"standardize.{table}", columns, matching=matching)


def row_links(failures: pd.DataFrame, ctx: RunContext, sources: SourcesFile) -> pd.Series:
    """A file:// link to each failing row's file; for a workbook, with the sheet and cell (#'Sheet'!A12)."""
    # Only the failing rows' positions are read: the staged tables hold every row of the night.
    failing = {"record_id": failures["record_id"]}
    physical = pd.concat(
        [_staged(ctx.catalog, t, ["record_id", "physical_row"], failing) for t in ("contact", "invoice", "payment")],
        ignore_index=True,
    ).drop_duplicates("record_id")
    row_of = physical.set_index("record_id")["physical_row"] if len(physical) else pd.Series(dtype="int64")
    uris: dict[tuple[str, str], str] = {}
    for name, file in failures[["source_name", "source_file"]].drop_duplicates().itertuples(index=False):
        try:
            sources.source(name)  # core.customer (the consolidated suite) is no file
            uris[(name, file)] = file_path(sources, name, file).resolve().as_uri()
        except (KeyError, ValueError):
            uris[(name, file)] = ""
    base = [uris.get((n, f), "") for n, f in zip(failures["source_name"], failures["source_file"], strict=True)]
    rows = failures["record_id"].map(row_of)
    out = []
    for uri, sheet, row in zip(base, failures["sheet"].fillna(""), rows, strict=True):
        if uri and sheet and pd.notna(row):
            quoted = str(sheet).replace("'", "''")
            out.append(f"{uri}#'{quoted}'!A{int(row)}")
        else:
            out.append(uri)
    return pd.Series(out, index=failures.index, dtype="object")


def named_failures(ctx: RunContext, failures: pd.DataFrame) -> pd.DataFrame:
    """Failures of a stage that did not name its customers (receivables' notes) named from the staged rows."""
    if failures.empty or ("customer_name" in failures.columns and failures["customer_name"].notna().all()):
        return failures
    names = ["record_id", "full_name", "given_name", "patronymic", "surname", "company", "customer_code"]
    docs = ["record_id", "customer_code"]
    # Only the rows the failures name are read, and the contacts that share a customer code with one of them
    # (a document is named by the contact its code belongs to): at a million customers the staged tables hold
    # thirteen million rows, the failures a fraction of them.
    failing = {"record_id": failures["record_id"]}
    invoices = _staged(ctx.catalog, "invoice", docs, failing)
    payments = _staged(ctx.catalog, "payment", docs, failing)
    own_codes = _staged(ctx.catalog, "contact", ["record_id", "customer_code"], failing)
    codes = pd.concat(
        [failures.get("customer_code", pd.Series(dtype="object"))]
        + [frame["customer_code"] for frame in (invoices, payments, own_codes) if "customer_code" in frame.columns]
    )
    contacts = _staged(ctx.catalog, "contact", names, {**failing, "customer_code": codes})
    return name_customers(failures, contacts=contacts, invoices=invoices, payments=payments)


def with_customer_ids(ctx: RunContext, failures: pd.DataFrame) -> pd.DataFrame:
    """The failures with the customer of each linked row (as publish fills dq.failure.customer_id)."""
    links = ctx.catalog.read("link.customer_source_record", ["record_id", "customer_id"])
    if failures.empty or links.empty:
        return failures
    known = failures["customer_id"] if "customer_id" in failures.columns else pd.Series(None, index=failures.index)
    of = links.drop_duplicates("record_id").set_index("record_id")["customer_id"]
    return failures.assign(customer_id=known.fillna(failures["record_id"].map(of)))


def _gate(ctx: RunContext) -> tuple[list[str], bool]:
    if not ctx.catalog.has_manifest("validate"):
        return [], False
    gate = ctx.catalog.manifest("validate").get("gate", {})
    return [str(v) for v in gate.get("violations", [])], True


def _signals(ctx: RunContext) -> tuple[dict[str, int], list[str]]:
    """What the segments stage found in the data (complaints, surveys, channels) and its warnings, if it ran."""
    if not ctx.catalog.has_manifest("segments"):
        return {}, []
    data = ctx.catalog.manifest("segments")
    return dict(data.get("signals", {})), [str(w) for w in data.get("warnings", [])]


def _settings(ctx: RunContext) -> tuple[QualitySettings, str]:
    try:
        settings, origin = settings_for_sources(ctx.settings_file)
        return settings, ctx.shown(origin)
    except Exception as exc:  # the report must still render when the settings are what broke the night
        log.warning("quality settings unreadable (%s); the report uses the bundled defaults", type(exc).__name__)
        return load_quality_settings(), "bundled defaults (the company's quality.yml could not be read)"


def employee_directory(ctx: RunContext, *frames: pd.DataFrame) -> tuple[Directory, str]:
    """The night's employees: written forms of one person grouped (staff.yml beside the sources file, then
    the certain matches); a staff file that cannot be read is named and the grouping goes on without it."""
    weight: dict[str, float] = {}
    for frame in frames:
        if "responsible" in frame.columns and len(frame):
            for name, n in frame["responsible"].fillna("unassigned").astype(str).value_counts().items():
                weight[str(name)] = weight.get(str(name), 0.0) + float(n)
    staff: StaffFile | None = None
    problem = ""
    try:
        staff = load_staff(ctx.settings_file)
    except SettingsError as exc:
        problem = str(exc)
        log.warning("staff file unreadable, employees grouped without it: %s", exc)
    return resolve_employees(weight, staff), problem


def _as_employees(frame: pd.DataFrame, directory: Directory) -> pd.DataFrame:
    """``responsible`` as the employee it names (the form as written kept in ``responsible_as_written``)."""
    if "responsible" not in frame.columns or frame.empty:
        return frame
    written = frame["responsible"].fillna("unassigned").astype(str)
    return frame.assign(responsible=written.map(directory.name), responsible_as_written=written)


def run_report(ctx: RunContext) -> StageResult:
    """Write the control report, to-do lists and reminders of the night, published or not."""
    run = ctx.catalog
    out_dir = run.stage_folder("report")
    settings, origin = _settings(ctx)
    sources = ctx.load_sources()
    violations, validated = _gate(ctx)
    engine = make_engine(ctx.warehouse_url)
    try:
        published = was_published(ctx, engine)
        quality_loaded = not published and validated and holds_quality_rows(engine, ctx.run_id)
        if not published and validated:
            kept = "this night's" if quality_loaded else "the published night's"
            log.info("run %s was not published; the warehouse holds %s dq rows", ctx.run_id, kept)
        history = metric_history(engine, as_of=ctx.as_of_date)
    finally:
        engine.dispose()
    # Every failing value of the night, whichever stage found it: the to-do lists match dq.failure.
    failures = pd.concat(
        [run.read(name, DQ_FAILURE_COLUMNS) for name in night_datasets(run, "failure")]
        or [run.read("validate.failure", DQ_FAILURE_COLUMNS)],
        ignore_index=True,
    )
    failures = with_customer_ids(ctx, named_failures(ctx, failures))
    metrics = run.read("validate.metric", METRIC_COLUMNS)
    # Tonight in the trend as the past nights are in dq.metric: the golden-record suite's rows included.
    every_metric = pd.concat([run.read(name, METRIC_COLUMNS) for name in night_datasets(run, "metric")] or [metrics])
    tonight = every_metric.assign(as_of=ctx.as_of_date)[[c for c in history.columns if c in every_metric.columns]]
    history = pd.concat(
        [history[history["as_of"] != ctx.as_of_date], tonight] if len(history) else [tonight], ignore_index=True
    )
    contacts = _staged(ctx.catalog, "contact", CONTACT_COLUMNS)
    failures = failures.assign(link=row_links(failures, ctx, sources)) if len(failures) else failures
    directory, staff_problem = employee_directory(ctx, metrics, failures, contacts)
    failures, metrics, history, contacts = (_as_employees(f, directory) for f in (failures, metrics, history, contacts))
    todo_dir = run.path("report.todo")
    score_of = dict(zip(*(scores(metrics, settings)[c] for c in ("responsible", "score")), strict=True))
    lists = write_todo_lists(
        failures,
        todo_dir,
        as_of=ctx.as_of,
        scores=score_of,
        languages={e.name: directory.language(e.name) for e in directory.employees},
    )
    docs = run.path("validate.data_docs_page")
    reason = (
        "The data-quality gate stopped the night:"
        if violations
        else "The night did not reach publishing (see ops.run and the failed task's log)."
        if validated
        else "The night stopped before its data-quality checks ran: nothing to report for tonight but the trend."
    )
    signals, signal_warnings = _signals(ctx)
    inputs = ReportInputs(
        run_id=ctx.run_id,
        as_of=ctx.as_of_date,
        settings=settings,
        settings_origin=origin,
        failures=failures,
        metrics=metrics,
        history=history,
        contacts=contacts,
        published=published,
        not_published_reason=reason,
        violations=violations,
        data_docs=os.path.relpath(docs, out_dir) if docs.exists() else None,
        todo_links={t.employee: os.path.relpath(t.workbook, out_dir) for t in lists},
        signals=signals,
        signal_warnings=signal_warnings,
        employee_forms={e.name: e.forms for e in directory.employees if len(e.forms) > 1},
        unplaced=directory.unplaced,
        staff_problem=staff_problem,
    )
    report = run.write_text("report.page", render_report(inputs))
    manifest: dict[str, Any] = {
        "report": str(report),
        "published": published,
        "dq_rows_in_warehouse": quality_loaded,
        "failures": len(failures),
        "todo": [
            {"employee": t.employee, "workbook": str(t.workbook), "reminder": str(t.reminder), "rows": t.rows}
            for t in lists
        ],
        "employees": {e.name: e.forms for e in directory.employees},
        "unplaced_employee_names": directory.unplaced,
    }
    run.write_manifest("report", manifest)
    log.info("report written: %d failing values, %d to-do list(s)", len(failures), len(lists))
    return StageResult(str(report), rows_in=len(failures), rows_out=len(lists))
