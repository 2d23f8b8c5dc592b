"""The extract task: every declared file into the run's extract datasets, with a manifest of what happened.

One file at a time (``extract_file``: a scheduler may run the files on different workers), then
``combine_extracts`` writes the stage's manifest from the files' reports, in the night's order.
"""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict

from transforms.extract.extract import FileReport, extract_planned
from transforms.pipeline.context import RunContext
from transforms.pipeline.file_plan import night_file, read_night_files
from transforms.pipeline.tracking import StageResult

log = logging.getLogger(__name__)


def run_extract(ctx: RunContext) -> StageResult:
    """Extract all sources; unreadable files are reported and the others go on."""
    out = ctx.catalog.stage_folder("extract")
    shutil.rmtree(out)
    out.mkdir(parents=True)
    for f in read_night_files(ctx.run_dir):
        extract_file(ctx, f.key)
    return combine_extracts(ctx)


def extract_file(ctx: RunContext, key: str) -> StageResult:
    """Extract one of the night's files; its report waits (``extract.file_report``) for the stage's manifest."""
    f = night_file(ctx.run_dir, key)
    sources = ctx.load_sources()
    run = ctx.catalog
    r = extract_planned(
        sources.source(f.source_name),
        f.source_file(),
        sources,
        lambda file_key, part: run.output(f"extract.{part}", key=file_key),
        cache_dir=ctx.cache_dir,
    )
    if r.status != "ok":
        log.error("%s", r.error)
    else:
        if r.columns_missing:
            log.warning("%s: declared column(s) not found: %s", r.source_file, ", ".join(r.columns_missing))
        log.info(
            "%s%s: %d rows read, %d extracted, %d quarantined%s",
            r.source_file,
            f" [{', '.join(s for s in r.sheets if s)}]" if any(r.sheets) else "",
            r.rows_read,
            r.rows_extracted,
            r.rows_quarantined,
            " (unchanged, reused)" if r.reused else "",
        )
    path = run.write_json("extract.file_report", asdict(r), file=f.part)
    return StageResult(path, rows_in=r.rows_read, rows_out=r.rows_extracted)


def combine_extracts(ctx: RunContext) -> StageResult:
    """The stage's manifest: every file's report, in the night's order."""
    run = ctx.catalog
    reports = [FileReport(**run.read_json("extract.file_report", file=f.part)) for f in read_night_files(ctx.run_dir)]
    path = run.write_manifest("extract", {"files": [asdict(r) for r in reports]})
    return StageResult(
        path,
        rows_in=sum(r.rows_read for r in reports),
        rows_out=sum(r.rows_extracted for r in reports),
    )
