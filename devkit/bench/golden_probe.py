"""Time the golden records of a linked night: ``build_golden`` on the run's staged contacts with their customers.

Usage: python -m devkit.bench.golden_probe <run folder> [--repeats 1]

The records are made as the link stage makes them (the staged contacts, each with the customer the night's
``link.customer_source_record`` gives it and its record date), under the bundled survivorship and quality
settings; only ``build_golden`` is timed. Prints JSON: the records, the customers, the provenance rows and the
seconds of each run. Run on the same folder at two commits, it compares two ways of making the golden records.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from transforms.customers.consolidate import golden_requirements
from transforms.customers.golden import build_golden, record_dates
from transforms.customers.settings import load_survivorship
from transforms.pipeline.catalog import RunCatalog
from transforms.quality.settings import load_quality_settings


def main(argv: list[str] | None = None) -> None:
    """Read the run folder, time ``build_golden``, print JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run_dir", type=Path)
    parser.add_argument("--repeats", type=int, default=1)
    args = parser.parse_args(argv)
    run = RunCatalog(args.run_dir)
    contacts = run.read("standardize.contact")
    links = run.read("link.customer_source_record", ["record_id", "customer_id"])
    records = contacts.merge(links, on="record_id")
    records["record_date"] = record_dates(records, run.read("standardize.interaction"))
    survivorship, _ = load_survivorship(None)
    quality = load_quality_settings()
    seconds = []
    for _ in range(args.repeats):
        start = time.perf_counter()
        golden, provenance = build_golden(
            records, settings=survivorship, requirements=golden_requirements(quality), unassigned=["unassigned"]
        )
        seconds.append(round(time.perf_counter() - start, 1))
    out = {"records": len(records), "customers": len(golden), "provenance": len(provenance), "seconds": seconds}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
