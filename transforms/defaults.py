"""Where a run reads and writes when nothing is given: one answer for the DAG's params and `crm-etl`'s options.

Only the standard library is imported here: the DAG file reads these defaults every time the scheduler parses it.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

#: The project folder (the checkout holding transforms/, dags/ and sample_data/).
PROJECT_DIR = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class DefaultPaths:
    """The sources file, the data folder (run folders, caches) and the warehouse URL a run uses by default."""

    sources: str
    data_dir: str
    warehouse_url: str


def default_paths(env: Mapping[str, str] | None = None) -> DefaultPaths:
    """``CRM_SOURCES``, ``CRM_DATA_DIR`` and ``CRM_WAREHOUSE_URL`` when set (and not empty), else the project's
    ``sample_data/sources.yml``, ``data/`` and a DuckDB file ``warehouse.duckdb`` in the data folder."""
    env = os.environ if env is None else env
    data_dir = env.get("CRM_DATA_DIR") or str(PROJECT_DIR / "data")
    return DefaultPaths(
        sources=env.get("CRM_SOURCES") or str(PROJECT_DIR / "sample_data" / "sources.yml"),
        data_dir=data_dir,
        warehouse_url=env.get("CRM_WAREHOUSE_URL") or f"duckdb:///{Path(data_dir) / 'warehouse.duckdb'}",
    )
