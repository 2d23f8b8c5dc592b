"""The extract task: every declared file into the run's extract/ folder, with a manifest of what happened."""

from __future__ import annotations

import logging
import shutil
from dataclasses import asdict

from transforms.extract import extract_sources
from transforms.pipeline.context import RunContext
from transforms.pipeline.tracking import StageResult

log = logging.getLogger(__name__)


def run_extract(ctx: RunContext) -> StageResult:
    """Extract all sources; unreadable files are reported and the others go on."""
    sources = ctx.load_sources()
    run = ctx.catalog
    out = run.stage_folder("extract")
    shutil.rmtree(out)
    out.mkdir(parents=True)
    reports = extract_sources(sources, lambda key, part: run.path(f"extract.{part}", key=key), cache_dir=ctx.cache_dir)
    for r in reports:
        if r.status != "ok":
            log.error("%s", r.error)
            continue
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
    path = run.write_manifest("extract", {"files": [asdict(r) for r in reports]})
    return StageResult(
        path,
        rows_in=sum(r.rows_read for r in reports),
        rows_out=sum(r.rows_extracted for r in reports),
    )
