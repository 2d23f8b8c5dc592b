"""Every file read is accounted for: rows read = rows loaded + rows quarantined, per file and night.

The night's reconciliation lines (ops.reconciliation) say for each declared file how many rows were read, how
many were loaded into the staged tables and how many were set aside with their reason; a file whose counts do not
add up means rows went missing between reading and loading, and the night must not be published.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq

from transforms.standardize.source_files import LOADED_TABLE


def _counts_by_file(path: Path | None) -> dict[tuple[str, str], int]:
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


def reconcile(
    files: list[dict[str, Any]],
    staged: Mapping[str, Path | None],
    *,
    run_id: str,
    as_of: dt.date,
) -> list[dict[str, Any]]:
    """One reconciliation line per file: read = loaded + quarantined, or the file's error.

    ``files`` are the extract's reports (``FileReport`` as a dict); ``staged`` the staged tables' files (contact,
    invoice, payment and quarantine; None for a table without rows tonight).
    """
    loaded = {t: _counts_by_file(staged[t]) for t in ("contact", "invoice", "payment")}
    quarantined = _counts_by_file(staged["quarantine"])
    lines = []
    for f in files:
        key = (f["source_name"], f["source_file"])
        n_loaded = loaded[LOADED_TABLE[f["source_kind"]]].get(key, 0)
        n_quarantined = quarantined.get(key, 0)
        read = f["rows_read"]
        lines.append(
            {
                "run_id": run_id,
                "as_of": as_of,
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
