"""Helpers shared by the tests: running the pipeline on a generated sample company."""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from transforms.pipeline import tasks


@dataclass(frozen=True)
class PipelineRun:
    """Where a finished run's inputs, staging and warehouse are."""

    sample_dir: Path
    data_dir: Path
    run_dir: Path
    warehouse_url: str
    warehouse_path: Path


def run_pipeline(sample_dir: Path, data_dir: Path, *, run_id: str, as_of: str = "2026-11-20") -> PipelineRun:
    """Run every task in DAG order on ``sample_dir`` into a DuckDB warehouse under ``data_dir``."""
    wh = data_dir / "warehouse.duckdb"
    url = f"duckdb:///{wh}"
    tasks.run_all(
        sources=str(sample_dir / "sources.yml"), warehouse_url=url, as_of=as_of, run_id=run_id, data_dir=str(data_dir)
    )
    run_dir = data_dir / "runs" / run_id
    return PipelineRun(sample_dir, data_dir, run_dir, url, wh)


def prepare_night(company: Path, data: Path, run_id: str, as_of: str, *, cache_from: Path | None = None) -> str:
    """Prepare a night of ``company`` into ``data`` (with the caches of the data folder ``cache_from``, copied in
    first), its warehouse a DuckDB file there; its run folder."""
    if cache_from is not None:
        shutil.copytree(cache_from / "cache", data / "cache")
    return tasks.prepare_run(
        sources=str(company / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'warehouse.duckdb'}",
        as_of=as_of,
        run_id=run_id,
        data_dir=str(data),
    )


DATA_TABLES = [
    "staging.contact",
    "staging.interaction",
    "staging.invoice",
    "staging.payment",
    "staging.field_issue",
    "staging.quarantine",
    "core.customer",
    "core.customer_source_record",
    "core.customer_field_provenance",
    "core.interaction",
    "core.invoice",
    "core.payment",
    "marts.customer_reliability",
    "marts.customer_feature",
    "marts.customer_segment",
    "marts.segment_profile",
]
RUN_COLUMNS = ["run_id"]


def table_checksums(db: Path) -> dict[str, str]:
    """A checksum of each data table's content, order-independent, run ids left out."""
    out = {}
    with duckdb.connect(str(db), read_only=True) as con:
        for t in DATA_TABLES:
            df = con.sql(f"select * from {t}").df().drop(columns=RUN_COLUMNS)
            rows = sorted(df.astype(str).agg("\x1f".join, axis=1))
            out[t] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return out


#: Tables that log each run and each task attempt: a second run of a night adds its rows there by design.
RUN_LOG_TABLES = ("ops.run", "ops.task_run")
#: Columns that differ between two runs of the same night by design: the run that wrote the row, and whether a
#: file's earlier extract was reused (the second run reuses the first's extract of an unchanged file).
PER_RUN_COLUMNS = ("run_id", "is_reused")


def warehouse_tables(db: Path) -> list[str]:
    """Every base table of the warehouse (schema.table), the run log left out."""
    with duckdb.connect(str(db), read_only=True) as con:
        rows = con.execute(
            "select table_schema || '.' || table_name from information_schema.tables "
            "where table_type = 'BASE TABLE' order by 1"
        ).fetchall()
    return [r[0] for r in rows if r[0] not in RUN_LOG_TABLES]


def every_table_checksum(db: Path) -> dict[str, str]:
    """A checksum of every warehouse table but the run log (history tables included), order-independent,
    ``PER_RUN_COLUMNS`` left out; with each table's row count, so that a doubled night shows plainly."""
    out = {}
    tables = warehouse_tables(db)
    with duckdb.connect(str(db), read_only=True) as con:
        for t in tables:
            df = con.sql(f"select * from {t}").df()
            df = df.drop(columns=[c for c in PER_RUN_COLUMNS if c in df.columns])
            rows = sorted(df.astype(str).agg("\x1f".join, axis=1)) if len(df) else []
            out[t] = f"{len(df)} rows {hashlib.sha256(chr(10).join(rows).encode()).hexdigest()}"
    return out


def staged_rows(
    source_name: str,
    kind: str,
    source_file: str,
    *,
    responsible: str = "Anna",
    first_physical_row: int = 2,
    **columns: list[object],
) -> pd.DataFrame:
    """Extracted rows of one file as the standardize stage reads them: the lineage columns, then ``columns``."""
    n = len(next(iter(columns.values())))
    return pd.DataFrame(
        {
            "source_name": [source_name] * n,
            "source_kind": [kind] * n,
            "source_file": [source_file] * n,
            "sheet": [""] * n,
            "row_number": list(range(1, n + 1)),
            "physical_row": list(range(first_physical_row, first_physical_row + n)),
            "file_sha256": ["0" * 64] * n,
            "responsible": [responsible] * n,
            **columns,
        }
    )


#: Holds a DuckDB file in another process: opened (read-only or for writing) under the process name given (set
#: on Linux, "-" for none), kept ``seconds``, closed, then idle until killed.
_HOLD = """
import ctypes, ctypes.util, sys, time, duckdb
if sys.argv[3] != "-":
    ctypes.CDLL(ctypes.util.find_library("c")).prctl(15, sys.argv[3].encode(), 0, 0, 0)
con = duckdb.connect(sys.argv[1], read_only=sys.argv[2] == "ro")
print("holding", flush=True)
time.sleep(float(sys.argv[4]))
con.close()
time.sleep(120)
"""


def hold_warehouse(
    path: Path, *, read_only: bool = False, name: str = "-", seconds: float = 120.0
) -> Iterator[subprocess.Popen[str]]:
    """Another process holding the warehouse file (an analyst's notebook, or one of a night's own processes when
    ``name`` is a stage process's name), for a fixture or a ``for`` loop; killed afterwards."""
    command = [sys.executable, "-c", _HOLD, str(path), "ro" if read_only else "rw", name, str(seconds)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()
