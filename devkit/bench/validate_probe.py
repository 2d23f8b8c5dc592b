"""Benchmark of the validate stage: the median of several repeats on one prepared run.

    from devkit.bench.validate_probe import bench_validate
    bench_validate(Path("/tmp/bench"), customers=200_000, repeats=3)

Generates a sample company of ``customers`` customers under ``root`` (reused when already there), runs
extract and standardize once, then times ``run_validate`` (with Data Docs, as at night) ``repeats``
times, each in a fresh process so its peak memory is its own. Returns one row for the table of
docs/benchmarks.md: stage, rows validated, median / min / max seconds, peak memory, repeats.
"""

from __future__ import annotations

import datetime as dt
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

AS_OF = "2026-11-20"

_PROBE = """
import json, resource, sys, time
from transforms.pipeline.context import RunContext
from transforms.pipeline.validate_stage import run_validate
from transforms.quality import QualityGateError
start = time.perf_counter()
try:
    result = run_validate(RunContext.load(sys.argv[1]))
    rows = result.rows_in
except QualityGateError:
    rows = -1
seconds = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(json.dumps({"seconds": seconds, "peak_mb": peak, "rows": rows}))
"""


def prepare(root: Path, customers: int, seed: int = 7) -> str:
    """A sample company and a run of it up to standardize; returns the run folder."""
    from devkit.generator import generate_sample
    from transforms.pipeline import tasks
    from transforms.pipeline.catalog import RunCatalog

    sample = root / f"sample_{customers}"
    if not (sample / "sources.yml").exists():
        generate_sample(sample, customers=customers, seed=seed, as_of=dt.date.fromisoformat(AS_OF))
    data = root / f"data_{customers}"
    run_id = f"bench_validate_{customers}"
    run_dir = RunCatalog.of_run(data, run_id).root
    if not RunCatalog(run_dir).has_manifest("standardize"):
        run_dir_s = tasks.prepare_run(
            sources=str(sample / "sources.yml"),
            warehouse_url=f"duckdb:///{data / 'wh.duckdb'}",
            as_of=AS_OF,
            run_id=run_id,
            data_dir=str(data),
        )
        tasks.extract(run_dir_s)
        tasks.standardize(run_dir_s)
    return str(run_dir)


def bench_validate(root: Path, customers: int = 200_000, repeats: int = 3) -> list[dict[str, Any]]:
    """Time the validate stage ``repeats`` times on one prepared run; one row with the median."""
    root.mkdir(parents=True, exist_ok=True)
    run_dir = prepare(root, customers)
    runs = []
    for _ in range(repeats):
        out = (
            subprocess.run([sys.executable, "-c", _PROBE, run_dir], check=True, capture_output=True, text=True)
            .stdout.strip()
            .splitlines()[-1]
        )
        runs.append(json.loads(out))
    seconds = [r["seconds"] for r in runs]
    return [
        {
            "stage": "validate (with Data Docs)",
            "customers": customers,
            "rows": runs[0]["rows"],
            "median_seconds": round(statistics.median(seconds), 1),
            "min_seconds": round(min(seconds), 1),
            "max_seconds": round(max(seconds), 1),
            "peak_mb": round(max(r["peak_mb"] for r in runs)),
            "repeats": repeats,
        }
    ]
