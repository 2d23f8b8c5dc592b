"""The validate task: the night's staged tables checked by the data-quality suites before anything is published.

Reads the standardize stage's tables (contact, invoice, payment, field_issue), runs the Great Expectations
suites of ``transforms.quality`` and writes these datasets of the run catalog (``transforms.pipeline.catalog``):

- ``validate.failure``: one row per failing value (``dq.failure``), with the row's lineage;
- ``validate.metric``: checked / failed / completeness per source, field, rule and employee (``dq.metric``);
- ``validate.per_file``: per rule and file, the distinct rows checked and failing (what the gate judges);
- ``validate.data_docs``: the Great Expectations Data Docs (HTML) of the night's validations, one folder a part
  (``all`` in one process, a file's part under a scheduler) and a page (``validate.data_docs_page``) linking them;
- ``validate.manifest``: paths, counts, the settings used and the gate's verdict.

At most ``PART_ROWS`` staged rows are checked at once: small files together, a larger file in consecutive pieces,
each a part of its own (``<part>__chunk0001`` ...). What a row is checked against beyond itself is computed over
the whole file or night first, from the columns it needs (a payment's invoice, whether it repeats an earlier row
of its file), so the pieces' failures, metrics and per-file counts add up to those of the file checked whole.

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

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from transforms.pipeline.catalog import RunCatalog, write_parquet
from transforms.pipeline.context import RunContext
from transforms.pipeline.file_plan import NightFile, night_file, read_night_files
from transforms.pipeline.staged_rows import (
    FILE_KEY,
    file_payment_repeats,
    issues_of,
    read_staged,
    record_ids_unique,
    staged_chunks,
    staged_row_count,
)
from transforms.pipeline.standardize_cache import prune
from transforms.pipeline.tracking import StageResult
from transforms.pipeline.validate_cache import (
    PIECES_FOLDER,
    CachedValidation,
    GroupFile,
    find_cached,
    group_parts,
    invoice_digest,
    invoices_agree,
    mark_piece_used,
    mark_used,
    piece_key,
    restore,
    save_cached,
    validation_key,
)
from transforms.pipeline.validate_recheck import Checking, recheck_dates
from transforms.quality.chatter import quiet_great_expectations
from transforms.quality.customer_rows import name_customers
from transforms.quality.file_rules import file_rule_results
from transforms.quality.frames import frames_for_run, invoice_issued_on, invoice_keys
from transforms.quality.gate import QualityGateError, gate_violations
from transforms.quality.history import previous_row_counts
from transforms.quality.settings import DEFAULT_FILE, check_source_names, settings_for_sources
from transforms.standardize.sentinels import load_sentinels
from transforms.warehouse.engine import make_engine

log = logging.getLogger(__name__)

#: The part of a validation of every file at once (``run_validate``).
ALL_FILES = "all"
#: Rows checked at once, at most: files are validated together until their rows reach it, so a small company pays
#: Great Expectations' setup once and a large one never holds every staged table of the night in pandas; a file
#: with more staged rows than that is checked in consecutive pieces of this many rows.
PART_ROWS = 400_000
#: The tables a file's rows are staged in (its field issues follow them), cut into pieces when the file is large.
CHUNKED = ("contact", "invoice", "payment")
#: Between a file's part and the number of one of its pieces: ``0003__chunk0001``.
CHUNK_MARK = "__chunk"
#: The columns that name a failing row's customer (``name_customers``), per staged table.
NAMING_COLUMNS = {
    "contact": ["record_id", "given_name", "patronymic", "surname", "full_name", "company", "customer_code"],
    "invoice": ["record_id", "customer_code"],
    "payment": ["record_id", "customer_code"],
}


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
    invoices = NightInvoices(ctx.run_dir)
    for group in groups:
        part = ALL_FILES if len(groups) == 1 else night[group[0]].part
        validate_group(ctx, [night[i].key for i in group], part=part, data_docs=data_docs, invoices=invoices)
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
    """Validate the staged rows of one of the night's files (a part of its own named after the file, or several
    when the file is checked in pieces). A retry first clears what an earlier attempt left of the file's parts,
    whether it was checked whole or in pieces then."""
    part = night_file(ctx.run_dir, key).part
    _clear_parts(ctx.catalog, part)
    return validate_group(ctx, [key], part=part, invoices=NightInvoices(ctx.run_dir))


def _clear_parts(run: RunCatalog, part: str) -> None:
    """Remove a part's results and Data Docs, whether it was checked whole or in pieces."""
    for folder in ("validate.parts", "validate.data_docs"):
        root = run.path(folder)
        for old in [root / part, *root.glob(f"{part}{CHUNK_MARK}*")]:
            shutil.rmtree(old, ignore_errors=True)


class NightInvoices:
    """The earliest issue date per document number over the night's every invoice (``_night_invoice_dates``),
    read when first asked for and then kept: what payments are checked against, and what a cached validation's
    payments were."""

    def __init__(self, run_dir: str | Path) -> None:
        self.run_dir = run_dir
        self._issued: pd.Series | None = None

    def __call__(self) -> pd.Series:
        if self._issued is None:
            self._issued = _night_invoice_dates(self.run_dir)
        return self._issued


def validate_group(
    ctx: RunContext, keys: Sequence[str], *, part: str, invoices: NightInvoices, data_docs: bool = True
) -> StageResult:
    """Validate these files as one part (one large file in pieces), or take the parts an earlier night wrote for
    the same rows when tonight's checks would give them the same verdicts (``validate_cache``); a validation
    made tonight is kept for the nights after."""
    rules = _rules(ctx)
    run = ctx.catalog
    night = {f.key: f for f in read_night_files(ctx.run_dir)}
    files = _group_files(run, [night[k] for k in keys])
    key = None if files is None else _validation_key(rules, files, data_docs=data_docs)
    pairs = None if set(keys) == set(night) else {(night[k].source_name, night[k].display) for k in keys}
    if key is not None:
        cached = find_cached(ctx.validate_cache_dir, key)
        if cached is not None and invoices_agree(cached, invoices):
            reused = _reuse(ctx, rules, cached, key, part=part, files=pairs, invoices=invoices)
            if reused is not None:
                return reused
    if len(keys) == 1:
        done = validate_one_file(ctx, keys[0], part=part, data_docs=data_docs, invoices=invoices)
    else:
        done = validate_files(ctx, keys, part=part, data_docs=data_docs, invoices=invoices)
    if key is not None:
        _keep(ctx, key, part=part, files=pairs, invoices=invoices)
    return done


def _validation_key(rules: Checking, files: Sequence[GroupFile], *, data_docs: bool) -> str:
    """The validate cache's key of these files (of none: of a piece's settings) under tonight's settings."""
    return validation_key(
        files,
        sources=rules.sources.model_dump(mode="json"),
        settings=rules.settings.model_dump(mode="json"),
        sentinels={"entries": dict(rules.sentinels.entries), "exempt": dict(rules.sentinels.exempt)},
        part_rows=PART_ROWS,
        data_docs=data_docs,
    )


def _reuse(
    ctx: RunContext,
    rules: Checking,
    cached: CachedValidation,
    key: str,
    *,
    part: str,
    files: set[tuple[str, str]] | None,
    invoices: NightInvoices,
) -> StageResult | None:
    """Tonight's parts from a kept validation, brought to tonight's date rules, and kept again as tonight's when
    the date rules moved anything. None when the entry could not be read whole (another night rewrote or removed
    it meanwhile, a file of it unreadable): the files are then validated as if nothing had been kept."""
    run = ctx.catalog
    try:
        rows_in, rows_out = restore(cached, run, part, as_of=ctx.as_of_date, run_id=ctx.run_id)
        if find_cached(ctx.validate_cache_dir, key) != cached:
            raise OSError("another night rewrote the entry while it was read")
        parts = group_parts(run, part, CHUNK_MARK)
        again = recheck_dates(
            run, rules, files=files, parts=parts, then=cached.as_of, tonight=ctx.as_of_date, run_id=ctx.run_id
        )
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        log.warning("validate %s: the kept validation could not be read (%s): its files are checked again", part, exc)
        _clear_parts(run, part)
        return None
    log.info(
        "validate %s: rows and settings unchanged since %s: its verdicts reused (%d rows checked again for the "
        "date rules)",
        part,
        cached.as_of,
        again,
    )
    if again:  # kept again as tonight's, so that the next night's recheck starts from tonight
        _keep(ctx, key, part=part, files=files, invoices=invoices, kept=cached)
    else:
        mark_used(cached)
    for name in parts:  # a file checked in pieces: its pieces' entries stay for the night it changes
        piece = run.read_json("validate.part_manifest", part=name).get("chunk") or {}
        if piece.get("piece_key"):
            mark_piece_used(ctx.validate_cache_dir / PIECES_FOLDER, str(piece["piece_key"]))
    return StageResult(str(run.path("validate.parts")), rows_in=rows_in, rows_out=rows_out)


def _keep(
    ctx: RunContext,
    key: str,
    *,
    part: str,
    files: set[tuple[str, str]] | None,
    invoices: NightInvoices,
    kept: CachedValidation | None = None,
) -> None:
    """Keep tonight's parts of a group in the validate cache, with the document keys its payments name (those of
    ``kept``, the entry tonight reused, when there is one: the same rows name the same invoices)."""
    run = ctx.catalog
    keys = None
    if kept is None:
        staged = read_staged(ctx.run_dir, files=files, tables=["payment"], columns=["invoice_number", *FILE_KEY])
        named = staged["payment"]
        keys = _invoice_keys(named["invoice_number"]) if len(named) else None
    save_cached(
        ctx.validate_cache_dir,
        key,
        run=run,
        parts=group_parts(run, part, CHUNK_MARK),
        part=part,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        invoice_keys=keys,
        issued=invoices,
        kept=kept,
    )


def _invoice_keys(numbers: pd.Series) -> pd.Series:
    """The document keys these payments name, each once and sorted (the numbers made keys once each: a payments
    export repeats them)."""
    keys = invoice_keys(pd.Series(numbers.dropna().unique(), dtype="object")).dropna()
    return pd.Series(sorted(keys.unique()), dtype="object")


def _group_files(run: RunCatalog, files: Sequence[NightFile]) -> list[GroupFile] | None:
    """The group's files as the validate cache keys them: each with what names its staged rows (the standardize
    manifest's ``content``; "no rows" for a file that gave none). None when a file's rows are not named (a run
    folder standardized before the name was kept)."""
    out = []
    for f in files:
        done = run.read_json("standardize.file_manifest", file=f.part)
        if "content" not in done:
            return None
        out.append(GroupFile(f.key, f.source_name, f.display, done["content"] or "no rows"))
    return out


def validate_one_file(
    ctx: RunContext, key: str, *, part: str, data_docs: bool = True, invoices: NightInvoices | None = None
) -> StageResult:
    """Validate one file: whole when its staged rows fit in ``PART_ROWS``, else in consecutive pieces of at most
    ``PART_ROWS`` rows, each a part of its own (``<part>__chunk0001`` ...), so a file of millions of rows costs
    the memory of one piece."""
    f = night_file(ctx.run_dir, key)
    pair = (f.source_name, f.display)
    held = {t: staged_row_count(ctx.run_dir, t, pair) for t in CHUNKED}
    invoices = invoices or NightInvoices(ctx.run_dir)
    if sum(held.values()) <= PART_ROWS:
        return validate_files(ctx, [key], part=part, data_docs=data_docs, invoices=invoices)
    if held["contact"] and not record_ids_unique(ctx.run_dir, pair):
        # The consolidated suite's record_id_unique would only see a piece: keep its verdict whole.
        log.warning("validate %s: its record ids repeat, so it is checked whole (%d rows)", key, sum(held.values()))
        return validate_files(ctx, [key], part=part, data_docs=data_docs, invoices=invoices)
    return _validate_in_chunks(ctx, key, pair, held, part=part, data_docs=data_docs, invoices=invoices)


def validate_files(
    ctx: RunContext,
    keys: Sequence[str],
    *,
    part: str,
    data_docs: bool = True,
    invoices: NightInvoices | None = None,
) -> StageResult:
    """Run the suites on the staged rows of these files; their failures, metrics, per-file counts and Data Docs
    go to validate/parts/<part>/ (and validate/data_docs/<part>/) for ``combine_validation``. Never raises on
    the gate: the night's verdict is the combination's."""
    rules = _rules(ctx)
    night = {f.key: f for f in read_night_files(ctx.run_dir)}
    everything = set(keys) == set(night)
    files = None if everything else {(night[k].source_name, night[k].display) for k in keys}
    staged = read_staged(ctx.run_dir, files=files)
    # A payment is checked against every invoice of the night, whichever file holds it.
    night_invoices = invoices or NightInvoices(ctx.run_dir)
    issued = night_invoices() if files is not None and len(staged["payment"]) else None
    return _validate_rows(ctx, rules, staged, keys=keys, part=part, data_docs=data_docs, invoice_issued=issued)


def _rules(ctx: RunContext) -> Checking:
    sources = ctx.load_sources()
    settings, origin = settings_for_sources(ctx.settings_file)
    check_source_names(settings, [s.name for s in sources.sources], ctx.shown(origin))
    return Checking(sources, settings, load_sentinels(sources.defaults.sentinels or None))


def _night_invoice_dates(run_dir: str | Path) -> pd.Series:
    """The earliest issue date per document number over the night's every invoice (what payments are checked
    against), read from the two columns it needs."""
    night = read_staged(run_dir, tables=["invoice"], columns=["invoice_number", "issued_on"])["invoice"]
    return invoice_issued_on(night)


def _validate_in_chunks(
    ctx: RunContext,
    key: str,
    pair: tuple[str, str],
    held: dict[str, int],
    *,
    part: str,
    data_docs: bool,
    invoices: NightInvoices,
) -> StageResult:
    """Validate a large file piece by piece. What a row is checked against beyond itself is computed first over
    the whole file or night, from the columns it needs: the invoices' issue dates, the duplicate-payment flag."""
    rules = _rules(ctx)
    issued = invoices() if held["payment"] else None
    repeats = file_payment_repeats(ctx.run_dir, pair) if held["payment"] else None
    total = sum(-(-n // PART_ROWS) for n in held.values())
    run = ctx.catalog
    issue_path = run.written("standardize.field_issue")
    settings = _validation_key(rules, [], data_docs=data_docs)
    pieces = ctx.validate_cache_dir / PIECES_FOLDER
    index, rows_in, rows_out, taken = 0, 0, 0, 0
    for table, rows in held.items():
        path = run.written(f"standardize.{table}")
        if not rows or path is None:
            continue
        first = 0
        for piece in staged_chunks(path, pair, PART_ROWS):
            index += 1
            frame = piece.to_pandas()
            staged = {table: frame}
            if issue_path is not None:
                staged["field_issue"] = issues_of(issue_path, pair, frame["record_id"])
            last = first + len(frame)
            chunk = {"index": index, "of": total, "table": table, "first_row": first + 1, "last_row": last}
            chunk["file_rows"] = rows
            name = f"{part}{CHUNK_MARK}{index:04d}"
            flags = None if repeats is None or table != "payment" else repeats[first:last]
            named = None
            if issued is not None and table == "payment":
                named = invoice_digest(issued, _invoice_keys(frame["invoice_number"]))
            cache_key = piece_key(settings, piece, issues=staged.get("field_issue"), repeats=flags, invoices=named)
            chunk["piece_key"] = cache_key  # so that a night reusing the whole file keeps the piece's entry too
            done = _reuse_piece(ctx, rules, pieces, cache_key, part=name, key=key, pair=pair, chunk=chunk, frame=frame)
            taken += done is not None
            if done is None:
                done = _validate_rows(
                    ctx,
                    rules,
                    staged,
                    keys=[key],
                    part=name,
                    data_docs=data_docs,
                    invoice_issued=issued,
                    payment_repeats=flags,
                    chunk=chunk,
                )
                _keep_piece(ctx, pieces, cache_key, part=name)
            rows_in, rows_out, first = rows_in + done.rows_in, rows_out + done.rows_out, last
            del frame, staged, piece
        if first != rows:
            raise RuntimeError(f"validate {key}: {rows} staged {table} rows counted, {first} read")
    if taken:
        log.info(
            "validate %s: %d of %d pieces unchanged since an earlier night, their verdicts reused", key, taken, index
        )
    return StageResult(str(run.path("validate.parts")), rows_in=rows_in, rows_out=rows_out)


def _reuse_piece(
    ctx: RunContext,
    rules: Checking,
    cache_dir: Path,
    cache_key: str,
    *,
    part: str,
    key: str,
    pair: tuple[str, str],
    chunk: dict[str, Any],
    frame: pd.DataFrame,
) -> StageResult | None:
    """A piece of a file from the validation an earlier night kept of the same rows (``validate_cache``), written
    as tonight's part ``part`` with tonight's place in the file (``chunk``), its date rules checked again on its
    own rows; None when there is none (or it could not be read whole): the piece is then checked."""
    cached = find_cached(cache_dir, cache_key)
    if cached is None:
        return None
    run = ctx.catalog
    try:
        rows_in, rows_out = restore(cached, run, part, as_of=ctx.as_of_date, run_id=ctx.run_id)
        if find_cached(cache_dir, cache_key) != cached:
            raise OSError("another night rewrote the entry while it was read")
        manifest = run.read_json("validate.part_manifest", part=part)
        run.write_json("validate.part_manifest", {**manifest, "files": [key], "chunk": chunk}, part=part)
        again = recheck_dates(
            run,
            rules,
            files={pair},
            parts=[part],
            then=cached.as_of,
            tonight=ctx.as_of_date,
            run_id=ctx.run_id,
            records=frame["record_id"],
        )
    except (OSError, ValueError, KeyError, pa.ArrowException) as exc:
        log.warning("validate %s: the kept validation could not be read (%s): the piece is checked again", part, exc)
        for folder in ("validate.part", "validate.part_data_docs"):
            shutil.rmtree(run.path(folder, part=part), ignore_errors=True)
        return None
    if again:  # kept again as tonight's, so that the next night's recheck starts from tonight
        _keep_piece(ctx, cache_dir, cache_key, part=part, kept=cached)
    else:
        mark_used(cached)
    return StageResult(str(run.path("validate.part", part=part)), rows_in=rows_in, rows_out=rows_out)


def _keep_piece(
    ctx: RunContext, cache_dir: Path, cache_key: str, *, part: str, kept: CachedValidation | None = None
) -> None:
    """Keep tonight's part of one piece in the cache's pieces. The invoices its payments name are in its key, so
    the entry keeps none of its own."""
    save_cached(
        cache_dir,
        cache_key,
        run=ctx.catalog,
        parts=[part],
        part=part,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        invoice_keys=None,
        issued=lambda: pd.Series(dtype="datetime64[ns]"),
        kept=kept,
    )


def _validate_rows(
    ctx: RunContext,
    rules: Checking,
    staged: dict[str, pd.DataFrame],
    *,
    keys: Sequence[str],
    part: str,
    data_docs: bool,
    invoice_issued: pd.Series | None = None,
    payment_repeats: np.ndarray | None = None,
    chunk: dict[str, Any] | None = None,
) -> StageResult:
    """Run the suites on these staged rows and write them as one part (with ``chunk``: which piece of a file)."""
    quiet_great_expectations()  # before the runner imports it: the import itself logs
    from transforms.quality.runner import run_quality

    run = ctx.catalog
    frames = frames_for_run(
        staged,
        settings=rules.settings,
        sentinels=rules.sentinels,
        sources=rules.sources,
        as_of=ctx.as_of_date,
        invoice_issued=invoice_issued,
        payment_repeats=payment_repeats,
    )
    out_dir = run.path("validate.part", part=part)
    shutil.rmtree(out_dir, ignore_errors=True)
    out_dir.mkdir(parents=True)
    docs_dir = run.path("validate.part_data_docs", part=part)
    shutil.rmtree(docs_dir, ignore_errors=True)
    result = run_quality(
        frames,
        settings=rules.settings,
        as_of=ctx.as_of_date,
        run_id=ctx.run_id,
        data_docs_dir=docs_dir if data_docs and frames else None,
    )
    for name, frame in (("failure", result.failures), ("metric", result.metrics), ("per_file", result.per_file)):
        write_parquet(
            pa.Table.from_pandas(frame, preserve_index=False), run.output("validate.part_table", part=part, table=name)
        )
    rows_in = sum(len(f) for f in frames.values())
    manifest: dict[str, Any] = {"files": list(keys), "rows": rows_in, "suites": result.suites}
    manifest["data_docs"] = result.data_docs
    if chunk is not None:
        manifest["chunk"] = chunk
    path = run.write_json("validate.part_manifest", manifest, part=part)
    log.info("validate %s: %d rows checked, %d failing values", part, rows_in, len(result.failures))
    return StageResult(path, rows_in=rows_in, rows_out=len(result.failures))


def combine_validation(ctx: RunContext, *, data_docs: bool = True) -> StageResult:
    """The night's validation from its parts: failures named with their customers, metrics summed, the rules
    judged per file (freshness, rows dropping), the Data Docs' index; raise if the gate fails."""
    from transforms.quality.tally import merge_metrics, merge_per_file, sort_failures

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
    result_per_file = merge_per_file(read("per_file"), result_failures)
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
    # A file counts as reused when every part that checked it was (a file checked in pieces may reuse some).
    checked_tonight = {k for p in parts.values() if not p.get("reused") for k in p["files"]}
    reused = len({k for p in parts.values() if p.get("reused") for k in p["files"]} - checked_tonight)
    pieces_reused = sum(1 for p in parts.values() if p.get("reused") and p.get("chunk"))
    manifest: dict[str, Any] = {
        "settings": origin,
        "files_reused": reused,
        "pieces_reused": pieces_reused,
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
    log.info("validate: %d file(s) unchanged since a previous night, their verdicts reused", reused)
    prune(ctx.validate_cache_dir, "validate")
    prune(ctx.validate_cache_dir / PIECES_FOLDER, "validate (pieces)")
    if violations:
        raise QualityGateError(violations, settings_file_hint(origin, ctx.sources))
    return StageResult(manifest_path, rows_in=rows_in, rows_out=len(failures))


def _parts(run: RunCatalog, night: list[str]) -> dict[str, dict[str, Any]]:
    """The validated parts (part -> its manifest): each of the night's files in exactly one of them, or in every
    piece of one checked in pieces (each piece once)."""
    parts_dir = run.path("validate.parts")
    names = sorted(p.name for p in parts_dir.iterdir() if p.is_dir()) if parts_dir.is_dir() else []
    found = {
        n: run.read_json("validate.part_manifest", part=n)
        for n in names
        if run.exists("validate.part_manifest", part=n)
    }
    covering: dict[str, list[dict[str, Any]]] = {}
    for part in found.values():
        for key in part["files"]:
            covering.setdefault(key, []).append(part)
    missing = [k for k in night if k not in covering]
    wrong = [k for k, parts in covering.items() if k not in night or not _covered_once(parts)]
    if missing or wrong:
        raise FileNotFoundError(
            f"{parts_dir}: the validated parts do not cover each of the night's files once "
            f"(not validated: {', '.join(missing) or 'none'}; covered more than once or in part: "
            f"{', '.join(wrong) or 'none'}): validate the files again"
        )
    return found


def _covered_once(parts: list[dict[str, Any]]) -> bool:
    """Whether these parts cover one file once: a single part, or the pieces of that file alone, each once."""
    pieces = [p.get("chunk") for p in parts]
    if len(parts) == 1 and pieces[0] is None:
        return True
    if any(c is None for c in pieces) or any(len(p["files"]) != 1 for p in parts):
        return False
    of = {int(c["of"]) for c in pieces if c is not None}
    return len(of) == 1 and sorted(int(c["index"]) for c in pieces if c is not None) == list(range(1, of.pop() + 1))


def _merged_suites(parts: list[dict[str, dict[str, Any]]]) -> dict[str, dict[str, Any]]:
    """Each suite's summary over the parts, as one validation of every file would give it."""
    out: dict[str, dict[str, Any]] = {}
    for suites in parts:
        for name, s in suites.items():
            m = out.setdefault(name, {"rows": 0, "expectations": 0, "success": True, "failures": 0})
            m["rows"] += s["rows"]
            m["expectations"] = max(m["expectations"], s["expectations"])
            m["failures"] += s["failures"]
    for m in out.values():
        # No expectation allows failures ("mostly"), so a suite passes exactly when nothing failed; a reused part
        # corrected for tonight's date rules (``validate_recheck``) carries its counts, not a verdict of its own.
        m["success"] = m["failures"] == 0
    return out


def write_docs_index(parts: dict[str, dict[str, Any]], ctx: RunContext) -> str | None:
    """The night's Data Docs page (``validate.data_docs_page``): a link to each part's Data Docs (one part in one
    process, one a file under a scheduler); None when no part has any."""
    run = ctx.catalog
    page = run.path("validate.data_docs_page")
    links = [
        (run.path("validate.part_data_docs", part=part) / "index.html", _docs_label(part, p))
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


def _docs_label(part: str, manifest: dict[str, Any]) -> str:
    """How the Data Docs page names a part: every file, its files, or a file and the rows of one of its pieces;
    and, for a part reused from an earlier night, the night whose pages they are."""
    chunk = manifest.get("chunk")
    if chunk is not None:
        label = (
            f"{manifest['files'][0]}, {chunk['table']} rows {chunk['first_row']:,} to {chunk['last_row']:,} "
            f"of {chunk['file_rows']:,}"
        )
    else:
        label = "every file" if part == ALL_FILES else ", ".join(manifest["files"])
    if manifest.get("reused"):
        label += f" (unchanged: the pages of the night of {manifest['docs_as_of']})"
    return label
