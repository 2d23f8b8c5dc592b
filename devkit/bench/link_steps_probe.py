"""Two steps of the link stage timed alone on a night's run folder: the review workbook and last night's links.

Usage: python -m devkit.bench.link_steps_probe <run folder> <warehouse url> [--out /tmp/review.xlsx]

- ``review``: the night's review pairs (``link.match_review`` with ``link.review_levels``) and the staged contacts
  they name, written as the steward's workbook (``write_review_workbook``).
- ``previous``: what the link stage reads of the last published night (``read_previous``: every record's
  customer and the id history) from the warehouse given (e.g. ``warehouse.after_first.duckdb`` of
  ``second_night_probe``).

Each step runs in a fresh process; prints its seconds and that process's peak resident memory (MB) as JSON.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import time
from pathlib import Path


def _review(run_dir: str, out: str) -> None:
    import pandas as pd

    from transforms.customers.consolidate import with_fingerprints
    from transforms.customers.review import write_review_workbook
    from transforms.pipeline.catalog import RunCatalog

    run = RunCatalog(run_dir)
    pairs = run.read("link.match_review").merge(run.read("link.review_levels"), on=["record_id_l", "record_id_r"])
    named = pd.concat([pairs["record_id_l"], pairs["record_id_r"]]).unique()
    contacts = run.read("standardize.contact")
    records = with_fingerprints(contacts[contacts["record_id"].isin(named)])
    del contacts
    night = json.loads((Path(run_dir) / "run.json").read_text("utf-8"))
    start = time.perf_counter()
    as_of = dt.date.fromisoformat(str(night["as_of"]))
    write_review_workbook(pairs, records, Path(out), run_id=str(night["run_id"]), as_of=as_of)
    _report("review", start, pairs=len(pairs))


def _previous(url: str) -> None:
    from transforms.customers.consolidate import read_previous
    from transforms.warehouse.engine import make_engine

    engine = make_engine(url)
    start = time.perf_counter()
    previous, _ = read_previous(engine)
    _report("previous", start, rows=0 if previous is None else len(previous))
    engine.dispose()


def _report(step: str, start: float, **counts: int) -> None:
    seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"step": step, "seconds": round(seconds, 1), "peak_mb": round(peak_mb), **counts}))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir")
    parser.add_argument("warehouse_url")
    parser.add_argument("--out", default="/tmp/review_probe.xlsx")
    parser.add_argument("--step", choices=("review", "previous"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.step == "review":
        _review(args.run_dir, args.out)
        return
    if args.step == "previous":
        _previous(args.warehouse_url)
        return
    for step in ("review", "previous"):
        command = [sys.executable, "-m", "devkit.bench.link_steps_probe", args.run_dir, args.warehouse_url]
        subprocess.run([*command, "--out", args.out, "--step", step], check=True)


if __name__ == "__main__":
    main()
