"""The whole night on a company the project did not write, scored against its truth: ``make bench``'s block
``second_company`` in docs/benchmarks.md.

Each repeat runs ``crm-etl run``'s stages in a fresh process (so its peak memory is the night's own) on a fresh
warehouse, then scores the published night with :mod:`devkit.bench.company_truth`. Usage:
``python -m devkit.bench.company_probe [--repeats 3] [--company DIR] [--sources FILE]``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import statistics
import subprocess
import sys
from pathlib import Path
from typing import Any

from devkit.bench.blocks import write_block

PROJECT = Path(__file__).resolve().parents[2]
COMPANY = PROJECT.parent / "shared" / "datasets" / "second_company"
SOURCES = PROJECT / "tests" / "data" / "second_company" / "sources.yml"


def one_night(company: Path, sources: Path, work: Path) -> dict[str, Any]:
    """One whole night in a fresh process, with its scores, seconds and peak memory."""
    command = [sys.executable, "-m", "devkit.bench.company_truth", str(company)]
    proc = subprocess.run(
        [*command, "--sources", str(sources), "--work", str(work)],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, Any] = json.loads(proc.stdout)
    return result


def render(runs: list[dict[str, Any]], command: str, machine: str) -> str:
    """The Markdown body of the block: the scores (the same every run) and the median time and memory."""
    first = runs[0]
    link, pay, dq = first["linkage"], first["payment"], first["quality"]
    seconds = statistics.median(r["run"]["seconds"] for r in runs)
    peak = statistics.median(r["run"]["peak_mb"] for r in runs)
    return "\n".join(
        [
            "### The second company, whole night",
            "",
            f"Measured {dt.date.today().isoformat()} on {machine}; {len(runs)} run(s), medians.",
            "",
            f"Command: `{command}`",
            "",
            "| measure | second company |",
            "| --- | ---: |",
            f"| records linked | {link['records_scored']:,} |",
            f"| linkage pairwise precision / recall / F1 | {link['precision']:.3f} / {link['recall']:.3f} / "
            f"{link['f1']:.3f} |",
            f"| recall on true pairs sharing a phone's last 9 digits or an e-mail | "
            f"{link['recall_sharing_phone_or_email']:.3f} |",
            f"| people split / customers holding several people | {link['people_split']:,} / "
            f"{link['customers_joining_people']:,} |",
            f"| payment class right, per true customer with something due | {pay['class_right']:.3f} |",
            f"| planted data-quality defects reported on their row | {dq['defects_reported']:.3f} |",
            f"| flagged source rows without any planted defect | {dq['rows_flagged_without_defect']:.3f} |",
            f"| complaints recognised / false | {first['complaints']['recognised']:.3f} / "
            f"{first['complaints']['false']:.3f} |",
            f"| segments vs behaviour profiles, adjusted Rand index | {first['segments']['adjusted_rand_index']:.3f} |",
            f"| whole night, wall time (s) | {seconds:.1f} |",
            f"| whole night, peak memory (MB) | {peak:,.0f} |",
        ]
    )


def main(argv: list[str] | None = None) -> None:
    """Run the repeats, print and write the block."""
    from devkit.bench.__main__ import machine

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--company", type=Path, default=COMPANY)
    parser.add_argument("--sources", type=Path, default=SOURCES)
    parser.add_argument("--work-dir", type=Path, default=PROJECT / "data" / "bench")
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    if not (args.company / "truth").is_dir():
        print(f"no company with a truth folder at {args.company}: second-company benchmark skipped", flush=True)
        return
    runs = [one_night(args.company, args.sources, args.work_dir / "second_company") for _ in range(args.repeats)]
    command = "python -m devkit.bench.company_probe " + " ".join(argv if argv is not None else sys.argv[1:])
    print(write_block(args.out, "second_company", render(runs, command.strip(), machine())), flush=True)


if __name__ == "__main__":
    main()
