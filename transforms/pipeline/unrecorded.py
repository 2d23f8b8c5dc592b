"""A failed run the warehouse could not record (it was held by another process): kept in the run folder.

``crm-etl status`` lists these beside ops.run, and the next run that can write the warehouse moves them into
ops.run, so every failed night appears there with its reason.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from transforms.pipeline.catalog import RunCatalog


def record_in_run_folder(run_dir: str | Path, *, run_id: str, as_of: str, message: str) -> Path:
    """Write the failure into the run folder; returns the file."""
    path = RunCatalog(run_dir).path("failed_unrecorded")
    row = {
        "run_id": run_id,
        "as_of": as_of,
        "status": "failed",
        "started_at": dt.datetime.now(dt.UTC).replace(tzinfo=None).isoformat(timespec="seconds"),
        "message": message,
    }
    path.write_text(json.dumps(row, indent=2), "utf-8")
    return path


def unrecorded_runs(data_dir: str | Path) -> list[dict[str, Any]]:
    """Failed runs recorded only in their run folders, newest first."""
    rows = []
    for run in RunCatalog.every_run(data_dir, holding="failed_unrecorded"):
        path = run.path("failed_unrecorded")
        try:
            rows.append({**json.loads(path.read_text("utf-8")), "file": str(path)})
        except (OSError, ValueError):
            continue
    return sorted(rows, key=lambda r: str(r.get("started_at", "")), reverse=True)
