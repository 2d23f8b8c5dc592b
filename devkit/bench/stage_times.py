"""Each stage's wall time in a warehouse's run log (ops.task_run), for comparing how a night ran.

Usage: python -m devkit.bench.stage_times WAREHOUSE_URL [WAREHOUSE_URL ...]

One column per warehouse (its latest succeeded run). A stage run file by file (``extract_file <file>`` ... then
``extract``, as the DAG's mapped tasks log it) counts from its first file's start to the end of the task that
combines them, so the time its files waited for a free worker is in it; ``tasks`` is how many attempts it took.
The last line is the night from its first stage's start to its last stage's end (prepare_run is not logged).
"""

from __future__ import annotations

import argparse
import datetime as dt
from collections import defaultdict

from sqlalchemy import text

from transforms.warehouse.engine import make_engine

STAGES = ("extract", "standardize", "validate", "link", "receivables", "segments", "publish", "report")


def stage_of(task: str) -> str:
    """The stage a logged task belongs to: ``extract_file journals/a.csv`` and ``extract`` are both extract."""
    return task.split(" ", 1)[0].removesuffix("_file")


def stage_times(url: str) -> tuple[str, dict[str, tuple[float, int]]]:
    """(run id, stage -> (wall seconds, task attempts)) of the warehouse's latest succeeded run."""
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            run_id = conn.execute(
                text("select run_id from ops.run where status = 'succeeded' order by started_at desc limit 1")
            ).scalar_one()
            rows = conn.execute(
                text("select task, started_at, finished_at from ops.task_run where run_id = :r"), {"r": run_id}
            ).all()
    finally:
        engine.dispose()
    spans: dict[str, list[tuple[dt.datetime, dt.datetime]]] = defaultdict(list)
    for task, started, finished in rows:
        spans[stage_of(task)].append((started, finished))
    out = {s: ((max(f for _, f in v) - min(a for a, _ in v)).total_seconds(), len(v)) for s, v in spans.items()}
    every = [span for v in spans.values() for span in v]
    out["night"] = ((max(f for _, f in every) - min(a for a, _ in every)).total_seconds(), len(every))
    return str(run_id), out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("warehouses", nargs="+", help="SQLAlchemy URLs (duckdb:////path/warehouse.duckdb ...)")
    args = parser.parse_args(argv)
    runs = [stage_times(url) for url in args.warehouses]
    print("| stage | " + " | ".join(f"{run_id}: s (tasks)" for run_id, _ in runs) + " |")
    print("| --- |" + " ---: |" * len(runs))
    for stage in (*STAGES, "night"):
        cells = [f"{t[stage][0]:.1f} ({t[stage][1]})" if stage in t else "-" for _, t in runs]
        print(f"| {stage} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
