"""Benchmark of the receivables stage at up to a million customers.

Generating a million customers takes long, so a 20,000-customer company is generated, staged and linked once;
then its run folder is replicated: every copy of its contacts, invoices, payments and customer links gets
shifted customer codes, document numbers and customer ids (each copy is another 20,000 customers with the same
behaviour). The timed part is the whole stage as the nightly run calls it (``tasks.receivables``: reading the
staged files, settling, rolling up, backtesting and fitting the model, scoring every customer, writing the
tables), in a fresh process so that its peak memory is its own.

Call: ``python -m devkit.bench.receivables_probe --customers 200000 1000000 --repeats 3 [--out docs/benchmarks.md]``
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import statistics
import sys
from pathlib import Path
from typing import Any

import duckdb

from devkit.bench.blocks import write_block
from devkit.bench.samples import staged_sample
from transforms.pipeline.catalog import RunCatalog

BASE_CUSTOMERS = 20_000
RUN_ID = "bench_receivables"
#: Columns made unique per copy: codes and document numbers get the copy number after their leading letters
#: (K00012 -> K300012, FV/2025/000007 -> FV3/2025/000007), ids and files a ``~copy`` suffix.
_SHIFTED = {"customer_code", "invoice_number", "corrects_invoice", "payment_id"}
_SUFFIXED = {"record_id", "customer_id", "source_file"}


def _copy_expr(column: str) -> str:
    if column in _SHIFTED:
        return (
            f"case when k = 0 or {column} is null then {column} "
            f"else regexp_replace({column}, '^([^\\W\\d_]+)', '\\1' || k::varchar) end as {column}"
        )
    if column in _SUFFIXED:
        return f"case when k = 0 or {column} is null then {column} else {column} || '~' || k::varchar end as {column}"
    return column


def replicate_file(source: Path, target: Path, copies: int) -> int:
    """Write ``copies`` copies of a Parquet file with codes, numbers and ids made unique per copy."""
    con = duckdb.connect()
    try:
        names = [row[0] for row in con.execute(f"describe select * from '{source}'").fetchall()]
        select = ", ".join(_copy_expr(c) for c in names)
        con.execute(
            f"copy (select {select} from '{source}', range({copies}) r(k) order by k) to '{target}' (format parquet)"
        )
        rows: int = con.execute(f"select count(*) from '{target}'").fetchall()[0][0]
        return rows
    finally:
        con.close()


def replicated_run(root: Path, customers: int) -> Path:
    """A run folder holding ``customers`` customers' staged and linked records, ready for the receivables stage."""
    base = RunCatalog(staged_sample(root, BASE_CUSTOMERS, run_id=RUN_ID, stages=("extract", "standardize", "link")))
    copies = max(1, round(customers / BASE_CUSTOMERS))
    run = RunCatalog(base.root.parent / f"{RUN_ID}_x{copies}")
    done = run.root / "replicated.json"
    if done.is_file():
        return run.root
    shutil.rmtree(run.root, ignore_errors=True)
    shutil.copytree(base.stage_path("extract"), run.stage_path("extract"))
    context = base.read_json("run")
    context.update(run_id=run.root.name, run_dir=str(run.root))
    run.write_json("run", context)
    manifest = base.manifest("standardize")
    rows = {}
    for name in ("contact", "invoice", "payment"):
        target = run.output(f"standardize.{name}")
        rows[name] = replicate_file(Path(manifest["tables"][name]["path"]), target, copies)
        manifest["tables"][name]["path"] = str(target)
    run.write_manifest("standardize", manifest)
    links = run.output("link.customer_source_record")
    rows["links"] = replicate_file(base.path("link.customer_source_record"), links, copies)
    done.write_text(json.dumps({"customers": copies * BASE_CUSTOMERS, "rows": rows}), "utf-8")
    return run.root


def bench_receivables(root: Path, customers: int, repeats: int = 1) -> dict[str, Any]:
    """Median time and peak memory of the receivables stage on ``customers`` customers (fresh process each)."""
    from devkit.bench.__main__ import probe

    root.mkdir(parents=True, exist_ok=True)
    run_dir = replicated_run(root, customers)
    info = json.loads((run_dir / "replicated.json").read_text("utf-8"))
    runs = [probe("receivables", str(run_dir)) for _ in range(repeats)]
    manifest = RunCatalog(run_dir).manifest("receivables")
    return {
        "stage": "receivables",
        "customers": info["customers"],
        "invoices": info["rows"]["invoice"],
        "payments": info["rows"]["payment"],
        "contacts": info["rows"]["contact"],
        "seconds": statistics.median(r["seconds"] for r in runs),
        "all_seconds": [round(r["seconds"], 1) for r in runs],
        "peak_mb": statistics.median(r["peak_mb"] for r in runs),
        "repeats": repeats,
        "uses_model": manifest["model"]["uses_model"],
        "customers_rated": manifest["counts"]["customers"],
    }


def render(results: list[dict[str, Any]], command: str, machine: str) -> str:
    """The Markdown table of docs/benchmarks.md's receivables block."""
    lines = [
        f"Measured {dt.date.today().isoformat()} on {machine}. Command: `{command}`.",
        "",
        "| customers | invoices | payments | contact rows | median time (s) | runs (s) | peak memory (MB) |",
        "| ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in results:
        runs = ", ".join(f"{s:.1f}" for s in r["all_seconds"])
        lines.append(
            f"| {r['customers']:,} | {r['invoices']:,} | {r['payments']:,} | {r['contacts']:,} | "
            f"{r['seconds']:.1f} | {runs} | {r['peak_mb']:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: time the stage at each size, print the figures, and with --out write them into the doc."""
    from devkit.bench.__main__ import machine

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--customers", type=int, nargs="+", default=[1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=Path("/tmp/crm_bench"))
    parser.add_argument("--out", type=Path, help="docs/benchmarks.md: replace its receivables block")
    args = parser.parse_args(argv)
    results = []
    for customers in args.customers:
        print(f"benchmarking the receivables stage on {customers:,} customers x {args.repeats} ...", flush=True)
        results.append(bench_receivables(args.work_dir, customers, args.repeats))
        print(json.dumps(results[-1]), flush=True)
    command = "python -m devkit.bench.receivables_probe " + " ".join(argv if argv is not None else sys.argv[1:])
    if args.out:
        print(write_block(args.out, "receivables", render(results, command.strip(), machine())))


if __name__ == "__main__":
    main()
