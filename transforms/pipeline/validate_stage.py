"""The validate task: the night's staged tables checked by the data-quality suites before anything is published.

Reads the standardize stage's tables (contact, invoice, payment, field_issue), runs the Great Expectations
suites of ``transforms.quality`` and writes these datasets of the run catalog (``transforms.pipeline.catalog``):

- ``validate.failure``: one row per failing value (``dq.failure``), with the row's lineage;
- ``validate.metric``: checked / failed / completeness per source, field, rule and employee (``dq.metric``);
- ``validate.per_file``: per rule and file, the distinct rows checked and failing (what the gate judges);
- ``validate.data_docs``: the Great Expectations Data Docs (HTML) of the night's validations, one folder a part
  (``all`` in one process, a file's part under a scheduler) and a page (``validate.data_docs_page``) linking them;
- ``validate.manifest``: paths, counts, the settings used and the gate's verdict.

Besides the suites, two rules are judged per file (``transforms.quality.file_rules``): the file's age
(freshness) and its row count against the last published night, read from the warehouse's
``ops.reconciliation`` (nothing to compare on a first night).

When a critical rule fails on more of a file's rows than its tolerance, everything is written first, then
``QualityGateError`` is raised naming the rule, the field, the file, the counts and the settings file (the task's
failure then puts the night's failing values into dq.* on their own: ``publish_stage.publish_stopped_night``).
"""

from __future__ import annotations

import html
import logging
import os
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.pipeline.catalog import RunCatalog, write_parquet
from transforms.pipeline.context import RunContext
from transforms.pipeline.file_plan import night_file, read_night_files
from transforms.pipeline.tracking import StageResult
from transforms.quality.chatter import quiet_great_expectations
from transforms.quality.customer_rows import name_customers
from transforms.quality.file_rules import file_rule_results
from transforms.quality.frames import frames_for_run
from transforms.quality.gate import QualityGateError, gate_violations
from transforms.quality.history import previous_row_counts
from transforms.quality.settings import DEFAULT_FILE, check_source_names, settings_for_sources
from transforms.standardize.sentinels import load_sentinels
from transforms.warehouse.engine import make_engine

log = logging.getLogger(__name__)

STAGED = ("contact", "invoice", "payment", "field_issue")
#: The part of a validation of every file at once (``run_validate``).
ALL_FILES = "all"
#: Rows ``run_validate`` checks at once, at most (a file larger than that is still checked whole): files are
#: validated together until their rows reach it, so a small company pays Great Expectations' setup once and a
#: large one never holds every staged table of the night in pandas.
PART_ROWS = 400_000
#: The columns that name a failing row's customer (``name_customers``), per staged table.
NAMING_COLUMNS = {
    "contact": ["record_id", "given_name", "patronymic", "surname", "full_name", "company", "customer_code"],
    "invoice": ["record_id", "customer_code"],
    "payment": ["record_id", "customer_code"],
}


def read_staged(
    run_dir: str | Path,
    *,
    files: set[tuple[str, str]] | None = None,
    tables: Sequence[str] = STAGED,
    columns: list[str] | None = None,
) -> dict[str, pd.DataFrame]:
    """The standardize stage's tables of a run (absent ones as empty frames): every row, or those of ``files``
    ((source name, file) pairs); every column, or ``columns``."""
    run = RunCatalog(run_dir)
    run.manifest("standardize")  # the stage has run
    out: dict[str, pd.DataFrame] = {}
    for table in tables:
        path = run.written(f"standardize.{table}")
        if path is None:
            out[table] = pd.DataFrame()
            continue
        where = [("source_file", "in", sorted({f for _, f in files}))] if files is not None else None
        frame = pq.read_table(path, columns=columns, filters=where).to_pandas()
        out[table] = frame if files is None else _rows_of(frame, files)
    return out


def settings_file_hint(origin: str, sources_file: str | Path) -> str:
    """Where an operator changes a tolerance: the company's quality.yml, or where to create one."""
    if origin != "bundled defaults":
        return origin
    beside = Path(sources_file).expanduser().resolve().parent / "quality.yml"
    return f"the bundled defaults ({DEFAULT_FILE}); to change them, write {beside}"


def _previous_counts(ctx: RunContext) -> dict[tuple[str, str], int]:
    engine = make_engine(ctx.warehouse_url)
    try:
        return previous_row_counts(engine, run_id=ctx.run_id, as_of=ctx.as_of_date)
    finally:
        engine.dispose()


def _concat(frames: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [f for f in frames if len(f)]
    if not parts:
        return frames[0]
    return pd.concat(parts, ignore_index=True)[list(frames[0].columns)]


def run_validate(ctx: RunContext, *, data_docs: bool = True) -> StageResult:
    """Validate the run's staged tables; write failures, metrics and Data Docs; raise if the gate fails.

    In one process the night's files are validated together, as one part: Great Expectations takes about a
    second and a half to set up for each validation, which one call per file would pay a dozen times a night.
    """
    for done in ("validate.parts", "validate.data_docs"):
        shutil.rmtree(ctx.catalog.path(done), ignore_errors=True)
    night = read_night_files(ctx.run_dir)
    rows = [int(f.get("rows_extracted") or 0) for f in ctx.catalog.manifest("extract")["files"]]
    groups = file_groups(rows, PART_ROWS)
    for group in groups:
        part = ALL_FILES if len(groups) == 1 else night[group[0]].part
        validate_files(ctx, [night[i].key for i in group], part=part, data_docs=data_docs)
    return combine_validation(ctx, data_docs=data_docs)


def file_groups(rows: Sequence[int], budget: int) -> list[list[int]]:
    """The night's files (by position) in consecutive groups of at most ``budget`` rows (a larger file alone)."""
    groups: list[list[int]] = [[]]
    held = 0
    for i, n in enumerate(rows):
        if groups[-1] and held + n > budget:
            groups.append([])
            held = 0
        groups[-1].append(i)
        held += n
    return groups


def validate_file(ctx: RunContext, key: str) -> StageResult:
    """Validate the staged rows of one of the night's files (a part of its own, named after the file)."""
    return validate_files(ctx, [key], part=night_file(ctx.run_dir, key).part)


def validate_files(ctx: RunContext, keys: Sequence[str], *, part: str, data_docs: bool = True) -> StageResult:
    """Run the suites on the staged rows of these files; their failures, metrics, per-file counts and Data Docs
    go to validate/parts/<part>/ (and validate/data_docs/<part>/) for ``combine_validation``. Never raises on
    the gate: the night's verdict is the combination's."""
    quiet_great_expectations()  # before the runner imports it: the import itself logs
    from transforms.quality.runner import run_quality

    sources = ctx.load_sources()
    settings, origin = settings_for_sources(ctx.settings_file)
    check_source_names(settings, [s.name for s in sources.sources], ctx.shown(origin))
    sentinels = load_sentinels(sources.defaults.sentinels or None)
    run = ctx.catalog
    night = {f.key: f for f in read_night_files(ctx.run_dir)}
    everything = set(keys) == set(night)
    files = None if everything else {(night[k].source_name, night[k].display) for k in keys}
    staged = read_staged(ctx.run_dir, files=files)
    night_invoices = None
    if files is not None and len(staged["payment"]):
        # A payment is checked against every invoice of the night, whichever file holds it.
        night_invoices = read_staged(ctx.run_dir, tables=["invoice"], columns=["invoice_number", "issued_on"])
    frames = frames_for_run(
        staged,
        settings=settings,
        sentinels=sentinels,
        sources=sources,
        as_of=ctx.as_of_date,
        payment_invoices=None if night_invoices is None else night_invoices["invoice"],
    )
    out_dir = run.path("validate.part", part=part)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    docs_dir = run.path("validate.part_data_docs", part=part)
    shutil.rmtree(docs_dir, ignore_errors=True)
    result = run_quality(
        frames,
        settings=settings,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        data_docs_dir=docs_dir if data_docs and frames else None,
    )
    for name, frame in (("failure", result.failures), ("metric", result.metrics), ("per_file", result.per_file)):
        write_parquet(
            pa.Table.from_pandas(frame, preserve_index=False), run.output("validate.part_table", part=part, table=name)
        )
    rows_in = sum(len(f) for f in frames.values())
    path = run.write_json(
        "validate.part_manifest",
        {"files": list(keys), "rows": rows_in, "suites": result.suites, "data_docs": result.data_docs},
        part=part,
    )
    log.info("validate %s: %d rows checked, %d failing values", part, rows_in, len(result.failures))
    return StageResult(path, rows_in=rows_in, rows_out=len(result.failures))


def _rows_of(frame: pd.DataFrame, files: set[tuple[str, str]]) -> pd.DataFrame:
    """The rows of a staged table that come from these (source, file) pairs."""
    if frame.empty:
        return frame
    keep = [pair in files for pair in zip(frame["source_name"], frame["source_file"], strict=True)]
    return frame[keep].reset_index(drop=True)


def combine_validation(ctx: RunContext, *, data_docs: bool = True) -> StageResult:
    """The night's validation from its parts: failures named with their customers, metrics summed, the rules
    judged per file (freshness, rows dropping), the Data Docs' index; raise if the gate fails."""
    from transforms.quality.runner import merge_metrics, sort_failures

    sources = ctx.load_sources()
    settings, origin = settings_for_sources(ctx.settings_file)
    origin = ctx.shown(origin)
    run = ctx.catalog
    parts = _parts(run, [f.key for f in read_night_files(ctx.run_dir)])
    # Only what names the failing rows' customers: the staged tables whole would cost the night's every column.
    staged = {
        table: read_staged(ctx.run_dir, tables=[table], columns=columns)[table]
        for table, columns in NAMING_COLUMNS.items()
    }

    def read(name: str) -> list[pd.DataFrame]:
        return [pq.read_table(run.path("validate.part_table", part=part, table=name)).to_pandas() for part in parts]

    result_failures = sort_failures(_concat(read("failure")))
    result_metrics = merge_metrics(read("metric"), as_of=ctx.as_of_date, run_id=ctx.run_id)
    result_per_file = _concat(read("per_file"))
    files = run.manifest("extract")["files"]
    by_file = file_rule_results(
        files,
        sources=sources,
        settings=settings,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        previous=_previous_counts(ctx),
    )
    failures = name_customers(
        _concat([result_failures, by_file.failures]),
        contacts=staged["contact"],
        invoices=staged["invoice"],
        payments=staged["payment"],
    )
    metrics = _concat([result_metrics, by_file.metrics])
    per_file = _concat([result_per_file, by_file.per_file])
    violations = gate_violations(per_file)
    paths: dict[str, str] = {}
    for name, frame in (("failure", failures), ("metric", metrics), ("per_file", per_file)):
        paths[name] = str(run.write(f"validate.{name}", frame))
    rows_in = sum(int(p["rows"]) for p in parts.values())
    manifest: dict[str, Any] = {
        "settings": origin,
        "tables": {
            "failure": {"path": paths["failure"], "rows": len(failures)},
            "metric": {"path": paths["metric"], "rows": len(metrics)},
            "per_file": {"path": paths["per_file"], "rows": len(per_file)},
        },
        "data_docs": write_docs_index(parts, ctx) if data_docs else None,
        "suites": _merged_suites([p["suites"] for p in parts.values()]),
        "failures_by_rule": failures.groupby("rule").size().astype(int).to_dict() if len(failures) else {},
        "gate": {
            "passed": not violations,
            "violations": [v.describe() for v in violations],
        },
    }
    manifest_path = run.write_manifest("validate", manifest)
    log.info("validate: %d rows checked, %d failing values (%s)", rows_in, len(failures), origin)
    if violations:
        raise QualityGateError(violations, settings_file_hint(origin, ctx.sources))
    return StageResult(manifest_path, rows_in=rows_in, rows_out=len(failures))


def _parts(run: RunCatalog, night: list[str]) -> dict[str, dict[str, Any]]:
    """The validated parts (part -> its manifest), each of the night's files in exactly one of them."""
    parts_dir = run.path("validate.parts")
    names = sorted(p.name for p in parts_dir.iterdir() if p.is_dir()) if parts_dir.is_dir() else []
    found = {
        n: run.read_json("validate.part_manifest", part=n)
        for n in names
        if run.exists("validate.part_manifest", part=n)
    }
    covered = [key for part in found.values() for key in part["files"]]
    missing = [k for k in night if k not in covered]
    if missing or len(covered) != len(set(covered)) or set(covered) - set(night):
        raise FileNotFoundError(
            f"{parts_dir}: the validated parts do not cover each of the night's files once "
            f"(not validated: {', '.join(missing) or 'none'}): validate the files again"
        )
    return found


def _merged_suites(parts: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each suite's summary over the parts, as one validation of every file would give it."""
    out: dict[str, dict[str, Any]] = {}
    for suites in parts:
        for name, s in suites.items():
            m = out.setdefault(name, {"rows": 0, "expectations": 0, "success": True, "failures": 0})
            m["rows"] += s["rows"]
            m["expectations"] = max(m["expectations"], s["expectations"])
            m["success"] = bool(m["success"] and s["success"])
            m["failures"] += s["failures"]
    return out


def write_docs_index(parts: dict[str, dict[str, Any]], ctx: RunContext) -> str | None:
    """The night's Data Docs page (``validate.data_docs_page``): a link to each part's Data Docs (one part in one
    process, one a file under a scheduler); None when no part has any."""
    run = ctx.catalog
    page = run.path("validate.data_docs_page")
    links = [
        (
            run.path("validate.part_data_docs", part=part) / "index.html",
            "every file" if part == ALL_FILES else ", ".join(p["files"]),
        )
        for part, p in parts.items()
        if (run.path("validate.part_data_docs", part=part) / "index.html").exists()
    ]
    if not links:
        return None
    items = "\n".join(
        f'<li><a href="{html.escape(os.path.relpath(target, page.parent))}">{html.escape(label)}</a></li>'
        for target, label in links
    )
    title = html.escape(f"Data Docs of the night {ctx.as_of} (run {ctx.run_id})")
    page = run.write_text(
        "validate.data_docs_page",
        f'<!doctype html>\n<html lang="en"><meta charset="utf-8"><title>{title}</title>\n'
        f"<h1>{title}</h1>\n<ul>\n{items}\n</ul>\n</html>\n",
    )
    return page.as_uri()
