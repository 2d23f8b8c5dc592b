"""Stage manifests: the small JSON files tasks pass to each other instead of data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def write_manifest(path: Path, data: dict[str, Any]) -> str:
    """Write a manifest atomically (a retried task never leaves half a file)."""
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, ensure_ascii=False, default=str), "utf-8")
    tmp.replace(path)
    return str(path)


def read_manifest(path: Path) -> dict[str, Any]:
    """Read a stage's manifest; a missing one means the stage has not run for this run."""
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: run the previous stage of this run first")
    data: dict[str, Any] = json.loads(path.read_text("utf-8"))
    return data
