"""Time a first (full) night and a second night with a share of the records changed, linked incrementally and in
full, and how many records the two second nights put in the same customer.

    python -m devkit.bench.incremental_probe --customers 20000 --work /tmp/incr
    python -m devkit.bench.incremental_probe --after /work/benchdata/night_1000000/runs/bench_night --repeats 1

The first night runs every stage through publish (so the second finds a published night and its kept linkage
state), or is a night already published (``--after``: its stages' times are read from its ops.task_run, and its
link stage is not run again). The second night's files are the first's; its staged contacts are then changed as
a night changes them (``devkit.generator.changes``: edits, rows moved down a sheet, rows removed, rows added) and
only its link stage is run, incrementally and as a full relink (``--full``), each in a run folder of its own,
``--repeats`` times in turn with the first night's link stage (medians). Prints JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import time
from pathlib import Path
from typing import Any

import pandas as pd
from sqlalchemy import text

from devkit.generator import generate_sample
from devkit.generator.changes import change_records, same_customer_share
from transforms.pipeline import tasks
from transforms.pipeline.catalog import RunCatalog
from transforms.warehouse.engine import make_engine

FIRST_NIGHT = "2026-11-20"


def _timed(fn: Any, *args: Any) -> float:
    start = time.perf_counter()
    fn(*args)
    return round(time.perf_counter() - start, 2)


def _second_night(
    sample: Path, data: Path, url: str, run_id: str, *, full: bool, contacts: pd.DataFrame, after: str
) -> Path:
    """A second night, the day after ``after``'s, up to its link stage's input, whose staged contacts are
    ``contacts``: its run folder."""
    first_as_of = json.loads((Path(after) / "run.json").read_text("utf-8"))["as_of"]
    as_of = (dt.date.fromisoformat(first_as_of) + dt.timedelta(days=1)).isoformat()
    run_dir = tasks.prepare_run(
        sources=str(sample / "sources.yml"),
        warehouse_url=url,
        as_of=as_of,
        run_id=run_id,
        data_dir=str(data),
        full_relink=full,
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    run = RunCatalog(run_dir)
    contacts.drop(columns=["record_fingerprint"]).to_parquet(run.path("standardize.contact"), index=False)
    return Path(run_dir)


def _first_night(args: argparse.Namespace) -> tuple[Path, Path, str, str, dict[str, float]]:
    """The first night: the company's folder, the data folder, the warehouse, the run folder and its stages' times.
    Run here on a generated company, or (``--after``) a night already published, as ``crm-etl run`` left it."""
    if args.after is not None:
        run = json.loads((args.after / "run.json").read_text("utf-8"))
        url, data = str(run["warehouse_url"]), Path(run["data_dir"])
        return Path(run["sources"]).parent, data, url, str(args.after), _stage_seconds(url, str(run["run_id"]))
    shutil.rmtree(args.work, ignore_errors=True)
    sample, data = args.work / "company", args.work / "data"
    generate_sample(sample, customers=args.customers, seed=args.seed)
    url = f"duckdb:///{data / 'warehouse.duckdb'}"
    first = tasks.prepare_run(
        sources=str(sample / "sources.yml"),
        warehouse_url=url,
        as_of=FIRST_NIGHT,
        run_id="night_1",
        data_dir=str(data),
        whole_run=True,
    )
    stages: dict[str, float] = {}
    for stage in tasks.STAGES:
        stages[stage] = _timed(getattr(tasks, stage), first)
    return sample, data, url, first, stages


def _stage_seconds(url: str, run_id: str) -> dict[str, float]:
    """Each stage's time in a published night, from its ops.task_run (a stage's files' tasks included)."""
    engine = make_engine(url, read_only=True)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("select task, started_at, finished_at from ops.task_run where run_id = :r"), {"r": run_id}
            ).all()
    finally:
        engine.dispose()
    spans: dict[str, list[tuple[dt.datetime, dt.datetime]]] = {}
    for task, started, finished in rows:
        spans.setdefault(str(task).split(" ", 1)[0].removesuffix("_file"), []).append((started, finished))
    return {s: round((max(f for _, f in v) - min(b for b, _ in v)).total_seconds(), 2) for s, v in spans.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--customers", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--share", type=float, default=0.02, help="share of the records changed on night 2")
    parser.add_argument("--work", type=Path, default=Path("/tmp/incremental_probe"))
    parser.add_argument("--repeats", type=int, default=3, help="runs of each night's link stage (median taken)")
    parser.add_argument(
        "--after",
        type=Path,
        help="the run folder of a published night to follow (e.g. the whole-night benchmark's at a million "
        "customers) instead of generating a company and running its first night here",
    )
    args = parser.parse_args()
    sample, data, url, first, stages = _first_night(args)
    contacts = RunCatalog(first).read("standardize.contact")
    tonight = change_records(contacts, share=args.share, seed=args.seed)
    inc_dir = _second_night(sample, data, url, "night_2", full=False, contacts=tonight, after=first)
    full_dir = _second_night(sample, data, url, "night_2_full", full=True, contacts=tonight, after=first)
    # The link stage of each night, taken in turn (a rerun of the first night's link is a full relink again).
    times: dict[str, list[float]] = {"first": [stages["link"]], "incremental": [], "full": []}
    for i in range(args.repeats):
        times["incremental"].append(_timed(tasks.link, str(inc_dir)))
        times["full"].append(_timed(tasks.link, str(full_dir)))
        if i and args.after is None:  # a published night's own link stage is not run again
            times["first"].append(_timed(tasks.link, first))
    median = {k: round(statistics.median(v), 2) for k, v in times.items()}

    def customers(run_dir: Path) -> pd.DataFrame:
        return RunCatalog(run_dir).read("link.customer_source_record", ["record_id", "customer_id"])

    inc_manifest = RunCatalog(inc_dir).manifest("link")
    out = {
        "customers": args.customers if args.after is None else int(RunCatalog(first).manifest("link")["customers"]),
        "records": len(contacts),
        "changed_share": inc_manifest["changed_share"],
        "first_night_seconds": stages,
        "link_seconds_each_run": times,
        "link_seconds_median": median,
        "incremental_over_first_link": round(median["incremental"] / median["first"], 3),
        "incremental_night": {k: inc_manifest.get(k) for k in ("night", "night_reason", "touched_records")},
        "same_customer_as_full_relink": round(same_customer_share(customers(inc_dir), customers(full_dir)), 5),
    }
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()
