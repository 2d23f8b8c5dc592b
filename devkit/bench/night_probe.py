"""The whole night, `crm-etl run` end to end in a fresh process, on the generator's company at several sizes.

Usage: python -m devkit.bench.night_probe [--customers 100000 1000000] [--repeats 1] [--out docs/benchmarks.md]

What a company's operator sees: one command that extracts, standardizes, validates, links, scores, segments,
publishes and reports a night, each stage in a process of its own. The night's memory is the most its processes
held at once, sampled here (proportional set sizes, so the libraries a stage shares with the server it was forked
from count once); each stage's wall time and its process's peak memory come from the run's own log,
``ops.task_run`` (``transforms.pipeline.memory`` samples it while each task runs). The company is generated once
per size under the work folder (as ``make bench``'s stage block does); the run starts with no extract cache.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import os
import shutil
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import psutil
from sqlalchemy import text

from devkit.bench.blocks import markers, replace_block
from transforms.pipeline.catalog import RunCatalog
from transforms.warehouse.engine import make_engine

PROJECT = Path(__file__).resolve().parents[2]
MARK_BEGIN, MARK_END = markers("night")
STAGES = ("extract", "standardize", "validate", "link", "receivables", "segments", "publish", "report")
AS_OF = "2026-11-20"


def run_night(
    sources: Path, data_dir: Path, *, as_of: str = AS_OF, run_id: str = "bench_night", fresh: bool = True
) -> dict[str, float]:
    """One ``crm-etl run`` in a fresh process: its wall time and the most memory its processes held at once (MB).
    ``fresh``: in an empty data folder (no caches, no warehouse); else after the nights already in it."""
    if fresh:
        shutil.rmtree(data_dir, ignore_errors=True)
    data_dir.mkdir(parents=True, exist_ok=True)
    command = [
        sys.executable,
        "-m",
        "transforms.cli",
        "run",
        "--sources",
        str(sources),
        "--warehouse",
        f"duckdb:///{data_dir / 'warehouse.duckdb'}",
        "--as-of",
        as_of,
        "--data-dir",
        str(data_dir),
        "--run-id",
        run_id,
    ]
    start = time.perf_counter()
    with open(data_dir / f"{run_id}.log", "w") as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, cwd=PROJECT)
        with tree_peak(proc.pid) as peak:
            _, status, _ = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    if proc.returncode:
        raise RuntimeError(f"crm-etl run failed ({proc.returncode}); see {data_dir / f'{run_id}.log'}")
    return {"night": seconds, "night_peak": peak.mb}


class _Peak:
    mb = 0.0


@contextmanager
def tree_peak(pid: int, interval: float = 0.25) -> Iterator[_Peak]:
    """The largest memory a process and every process under it hold at once (``crm-etl run`` runs each stage in
    a process of its own, beside the server they are forked from), sampled while the block runs. Each process
    counts its proportional set size: the pages the stage shares with the server it was forked from (the
    libraries imported once) are counted once, split between them, as the system holds them."""
    peak = _Peak()
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            try:
                root = psutil.Process(pid)
                total = 0
                for p in [root, *root.children(recursive=True)]:
                    with contextlib.suppress(psutil.Error):
                        total += p.memory_full_info().pss
                peak.mb = max(peak.mb, total / 2**20)
            except psutil.Error:
                pass
            stop.wait(interval)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield peak
    finally:
        stop.set()
        thread.join()


def stage_figures(warehouse: Path, run_id: str = "bench_night") -> dict[str, tuple[float, float]]:
    """stage -> (wall seconds, peak MB) from the run's ops.task_run. A stage run file by file (``--workers``) is
    its files' tasks and the task combining them: from the first one's start to the last one's end, and the
    largest of their processes (those running side by side add up in the whole night's figure, not here)."""
    engine = make_engine(f"duckdb:///{warehouse}", read_only=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("select task, started_at, finished_at, peak_memory_mb from ops.task_run where run_id = :r"),
                {"r": run_id},
            ).all()
    finally:
        engine.dispose()
    spans: dict[str, list[tuple[dt.datetime, dt.datetime, float]]] = {}
    for task, started, finished, peak in rows:
        stage = str(task).split(" ", 1)[0].removesuffix("_file")
        spans.setdefault(stage, []).append((started, finished, float(peak or 0)))
    return {
        stage: (
            (max(f for _, f, _ in runs) - min(s for s, _, _ in runs)).total_seconds(),
            max(p for _, _, p in runs),
        )
        for stage, runs in spans.items()
    }


def bench_size(root: Path, customers: int, repeats: int, seed: int) -> dict[str, object]:
    """Median whole-night and per-stage figures of one company size."""
    from devkit.bench.__main__ import ensure_sample

    sources = ensure_sample(root, customers, seed)
    nights: list[dict[str, float]] = []
    stages: list[dict[str, tuple[float, float]]] = []
    for _ in range(repeats):
        data_dir = root / f"night_{customers}"
        nights.append(run_night(sources, data_dir))
        stages.append(stage_figures(data_dir / "warehouse.duckdb"))
    manifest = RunCatalog.of_run(data_dir, "bench_night").manifest("extract")
    rows = sum(int(f["rows_read"]) for f in manifest["files"])  # every row under a header, as the stage table says
    return {
        "customers": customers,
        "rows": rows,
        "runs": repeats,
        "night": statistics.median(n["night"] for n in nights),
        "night_peak": statistics.median(n["night_peak"] for n in nights),
        "stages": {
            s: (statistics.median(r[s][0] for r in stages), statistics.median(r[s][1] for r in stages))
            for s in STAGES
            if all(s in r for r in stages)
        },
    }


def render(results: list[dict[str, object]], command: str, machine: str) -> str:
    """The Markdown block written between the night markers of docs/benchmarks.md."""
    lines = [
        MARK_BEGIN,
        f"Measured {dt.date.today().isoformat()} on {machine}.",
        "",
        f"Command: `{command}`",
        "",
        "| customers | source rows | runs | " + " | ".join(STAGES) + " | whole night |",
        "| ---: | ---: | ---: |" + " ---: |" * (len(STAGES) + 1),
    ]
    for r in results:
        stages: dict[str, tuple[float, float]] = r["stages"]  # type: ignore[assignment]
        cells = [f"{stages[s][0]:.1f} s, {stages[s][1]:,.0f} MB" if s in stages else "-" for s in STAGES]
        night = f"{r['night']:.1f} s, {r['night_peak']:,.0f} MB"
        lines.append(f"| {r['customers']:,} | {r['rows']:,} | {r['runs']} | " + " | ".join(cells) + f" | {night} |")
    lines += [
        "",
        "Each stage: its wall time and its process's peak resident memory (ops.task_run); extract, standardize "
        "and validate run the night's files side by side (`crm-etl run`'s default workers, one per core): "
        "their time runs from their first file's start to the end of the task combining them, their memory is "
        "their largest process's. Whole night: the wall time and the most memory the night's processes held "
        "at once (the command, the server its stages are forked from and the running stages; proportional set "
        "sizes, so shared pages count once), medians over the runs.",
        MARK_END,
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Parse arguments, run, write."""
    from devkit.bench.__main__ import machine

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", type=Path, default=PROJECT / "data" / "bench")
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    command = "python -m devkit.bench.night_probe " + " ".join(argv if argv is not None else sys.argv[1:])
    results = []
    for size in args.customers:
        print(f"the whole night at {size:,} customers x {args.repeats} ...", flush=True)
        results.append(bench_size(args.work_dir, size, args.repeats, args.seed))
    block = render(results, command.strip(), machine())
    replace_block(args.out, MARK_BEGIN, MARK_END, block)
    print(block)


if __name__ == "__main__":
    main()
