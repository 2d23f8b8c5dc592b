"""`make bench`: time each stage at several sizes and write the table into docs/benchmarks.md.

Usage: python -m devkit.bench [--sizes 20000 100000] [--repeats 3] [--night-repeats 3] [--out docs/benchmarks.md]
       [--only stages linkage receivables reliability second_company console night]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import psutil

from devkit.bench.blocks import replace_block
from transforms.pipeline import tasks
from transforms.pipeline.catalog import RunCatalog

PROJECT = Path(__file__).resolve().parents[2]
MARK_BEGIN = "<!-- bench:stages:begin -->"
MARK_END = "<!-- bench:stages:end -->"
#: Customers of the receivables benchmark (its target is the stage on a million customers under 2 minutes).
RECEIVABLES_SIZES = (200_000, 1_000_000)
#: The benchmarks ``--only`` can choose from, in the order they run.
BLOCKS = ("stages", "linkage", "receivables", "reliability", "second_company", "console", "night")
#: Customers of the whole-night benchmark (its target: a million customers in 30 minutes and 12 GB on 2 cores).
NIGHT_SIZES = (100_000, 1_000_000)


def machine() -> str:
    """A one-line description of the machine the figures come from."""
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = psutil.virtual_memory().total / 2**30
    return f"{os.cpu_count()} cores ({cpu}), {mem:.0f} GiB RAM, Python {platform.python_version()}"


def ensure_sample(root: Path, customers: int, seed: int) -> Path:
    """Generate (once) the sample data for a size; returns its sources file."""
    out = root / f"sample_{customers}"
    sources = out / "sources.yml"
    if not sources.exists():
        from devkit.generator import generate_sample

        shutil.rmtree(out, ignore_errors=True)
        generate_sample(out, customers=customers, seed=seed)
    return sources


def probe(stage: str, run_dir: str) -> dict[str, float]:
    """Run one stage in a fresh process and read back its time and peak memory."""
    proc = subprocess.run(
        [sys.executable, "-m", "devkit.bench.stage_probe", stage, run_dir],
        check=True,
        capture_output=True,
        text=True,
    )
    result: dict[str, float] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def bench_size(root: Path, customers: int, repeats: int, seed: int) -> list[dict[str, object]]:
    """Median time and peak memory of each stage for one size."""
    sources = ensure_sample(root, customers, seed)
    samples: dict[str, list[dict[str, float]]] = {s: [] for s in tasks.STAGES}
    rows_read = 0
    for i in range(repeats):
        data_dir = root / f"data_{customers}"
        shutil.rmtree(data_dir, ignore_errors=True)  # no extract cache: every repeat parses every file
        run_dir = tasks.prepare_run(
            sources=str(sources),
            warehouse_url=f"duckdb:///{data_dir / 'warehouse.duckdb'}",
            as_of="2026-11-20",
            run_id=f"bench_{customers}_{i}",
            data_dir=str(data_dir),
        )
        for stage in tasks.STAGES:
            samples[stage].append(probe(stage, run_dir))
        summary = RunCatalog(run_dir).read_json("publish.summary")
        rows_read = summary["counts"]["rows_read"]
    out: list[dict[str, object]] = []
    for stage, runs in samples.items():
        out.append(
            {
                "stage": stage,
                "customers": customers,
                "rows": rows_read,
                "seconds": statistics.median(r["seconds"] for r in runs),
                "peak_mb": statistics.median(r["peak_mb"] for r in runs),
                "repeats": len(runs),
            }
        )
    return out


def render(results: list[dict[str, object]], command: str) -> str:
    """The Markdown block written between the markers of docs/benchmarks.md."""
    lines = [
        MARK_BEGIN,
        f"Measured {dt.date.today().isoformat()} on {machine()}.",
        "",
        f"Command: `{command}`",
        "",
        "| stage | customers | source rows | median time (s) | median peak memory (MB) | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['stage']} | {r['customers']:,} | {r['rows']:,} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | "
            f"{r['repeats']} |"
        )
    lines.append(MARK_END)
    return "\n".join(lines)


def write_into(doc: Path, block: str) -> None:
    """Replace the stages block in ``doc`` (or append it)."""
    replace_block(doc, MARK_BEGIN, MARK_END, block)


def main() -> None:
    """Parse arguments, run, write."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument(
        "--night-repeats",
        type=int,
        default=3,
        help="runs of the whole night per size (medians; a million customers take about half an hour a run)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--work-dir", type=Path, default=PROJECT / "data" / "bench")
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "benchmarks.md")
    parser.add_argument(
        "--only", nargs="+", choices=BLOCKS, default=list(BLOCKS), help="run only these benchmarks (default: all)"
    )
    args = parser.parse_args()
    args.work_dir.mkdir(parents=True, exist_ok=True)
    command = "make bench" if sys.argv[1:] == [] else "python -m devkit.bench " + " ".join(sys.argv[1:])
    places = ["--work-dir", str(args.work_dir), "--out", str(args.out)]
    if "stages" in args.only:
        results: list[dict[str, object]] = []
        for size in args.sizes:
            print(f"benchmarking {size:,} customers x {args.repeats} ...", flush=True)
            results += bench_size(args.work_dir, size, args.repeats, args.seed)
        block = render(results, command)
        write_into(args.out, block)
        print(block)
    if "linkage" in args.only:
        # Linkage against Splink on the same records and blocking (Splink is in the `bench` dependency group).
        from devkit.bench import linkage_probe

        print("benchmarking linkage against Splink ...", flush=True)
        linkage = linkage_probe.render_linkage(
            linkage_probe.bench_linkage_vs_splink(args.work_dir, list(linkage_probe.LINKAGE_CUSTOMERS), args.repeats),
            command,
        )
        linkage_probe.write_linkage(args.out, linkage)
        print(linkage)
    if "receivables" in args.only:
        # The receivables stage at a million customers (a replicated company; see receivables_probe).
        from devkit.bench import receivables_probe

        sizes = [str(n) for n in RECEIVABLES_SIZES]
        receivables_probe.main(["--customers", *sizes, "--repeats", str(args.repeats), *places])
    if "second_company" in args.only:
        # The whole night on a company the project did not write, scored against its truth.
        from devkit.bench import company_probe

        print("benchmarking the whole night on the second company ...", flush=True)
        company_probe.main(["--repeats", str(args.repeats), *places])
    if "reliability" in args.only:
        # Payment reliability: the class from the whole history against the median rule (see reliability_probe).
        from devkit.bench import reliability_probe

        reliability_probe.main(places)
    if "console" in args.only:
        # The steward's console: page times on a warehouse of a million source records (see console_probe).
        from devkit.bench import console_probe

        console_probe.main(["--records", "1000000", *places])
    if "night" in args.only:
        # The whole night, `crm-etl run` end to end in a fresh process (see night_probe), the median of
        # --night-repeats runs per size: one night on these machines' shared cores can be minutes off another.
        from devkit.bench import night_probe

        sizes = [str(n) for n in NIGHT_SIZES]
        repeats = str(args.night_repeats)
        night_probe.main(["--customers", *sizes, "--repeats", repeats, "--seed", str(args.seed), *places])


if __name__ == "__main__":
    main()
