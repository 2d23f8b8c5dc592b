"""Benchmark of the steward's console: how fast its pages answer on a warehouse of a million source records.

Running a night over a million records takes long, so a company of ``--base-customers`` is generated and run
once (a real night: linkage, golden records, reliability, segments, data quality); its published night is then
replicated into a second DuckDB file until ``staging.contact`` holds ``--records`` rows: every copy gets its own
record and customer ids (suffix ``-<copy>``), so customers, provenance, id history, reliability, segments,
data-quality failures and doubtful pairs grow with it (the review queue too: a copy's pairs form groups of their
own). The night's run folder (model, pair levels) is replicated alongside, for the waterfall.

The console is then served by uvicorn on 127.0.0.1 and asked, over HTTP, for a mix of pages: review queue pages,
customer pages, searches (Latin name, phone, e-mail, customer id) and the data-quality queue. The first queue page
builds the night's queue (grouping every pair) and is reported apart.

    uv run python -m devkit.bench.console_probe --records 1000000
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import statistics
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from devkit.bench.blocks import write_block
from devkit.bench.samples import sample_folder

PROJECT = Path(__file__).resolve().parents[2]
AS_OF = "2026-11-20"
RUN_ID = "console_bench"
#: Columns that carry a record or customer id, per table the console reads; each copy suffixes them.
ID_COLUMNS: dict[str, tuple[str, ...]] = {
    "staging.contact": ("record_id",),
    "core.customer": ("customer_id",),
    "core.customer_source_record": ("record_id", "customer_id"),
    "core.customer_field_provenance": ("customer_id", "record_id"),
    "core.customer_id_history": ("customer_id", "related_customer_id"),
    "core.match_review": ("record_id_l", "record_id_r", "customer_id_l", "customer_id_r"),
    "marts.customer_reliability": ("customer_id",),
    "marts.customer_segment": ("customer_id",),
    "dq.failure": ("record_id",),
}


def base_night(root: Path, customers: int, seed: int) -> tuple[Path, Path]:
    """(warehouse file, run folder) of one finished night over a generated company (made once)."""
    from devkit.generator import generate_sample
    from transforms.pipeline import tasks
    from transforms.pipeline.catalog import RunCatalog

    sample = sample_folder(root, customers, seed)
    if not (sample / "sources.yml").is_file():
        generate_sample(sample, customers=customers, seed=seed)
    data = root / f"console_base_{customers}_{seed}"
    warehouse = data / "warehouse.duckdb"
    run = RunCatalog.of_run(data, RUN_ID)
    if not run.exists("publish.summary") or not warehouse.is_file():
        shutil.rmtree(data, ignore_errors=True)
        tasks.run_all(
            sources=str(sample / "sources.yml"),
            warehouse_url=f"duckdb:///{warehouse}",
            as_of=AS_OF,
            run_id=RUN_ID,
            data_dir=str(data),
        )
    return warehouse, run.root


def _suffixed(column: str) -> str:
    return f"case when r.k = 0 then t.{column} else t.{column} || '-' || cast(r.k as varchar) end as {column}"


def replicate(base: Path, base_run: Path, target_dir: Path, records: int) -> tuple[Path, int]:
    """A warehouse of about ``records`` source records made of copies of ``base``; returns (file, copies)."""
    from transforms.pipeline.catalog import RunCatalog
    from transforms.warehouse.ddl import ensure_schema
    from transforms.warehouse.engine import make_engine

    with duckdb.connect(str(base), read_only=True) as con:
        row = con.execute("select count(*) from staging.contact").fetchone()
    base_records = int(row[0]) if row else 0
    copies = max(1, math.ceil(records / max(base_records, 1)))
    target = target_dir / "warehouse.duckdb"
    done = target_dir / "replicated.json"
    if done.is_file() and json.loads(done.read_text("utf-8")) == {"records": records, "copies": copies}:
        return target, copies
    shutil.rmtree(target_dir, ignore_errors=True)
    target_dir.mkdir(parents=True)
    engine = make_engine(f"duckdb:///{target}")
    try:
        ensure_schema(engine)
    finally:
        engine.dispose()
    with duckdb.connect(str(target)) as con:
        con.execute(f"attach '{base}' as base (read_only)")
        for table, columns in ID_COLUMNS.items():
            replaced = ", ".join(_suffixed(c) for c in columns)
            con.execute(
                f"insert into {table} select t.* replace ({replaced}) "
                f"from base.{table} as t cross join range({copies}) as r(k)"
            )
    source, run = RunCatalog(base_run), RunCatalog.of_run(target_dir, RUN_ID)
    shutil.copy(source.path("link.model"), run.output("link.model"))
    pairs = pd.read_parquet(source.path("link.review_levels"))
    copied = []
    for k in range(copies):
        part = pairs.copy()
        if k:
            for c in ("record_id_l", "record_id_r"):
                part[c] = part[c].astype(str) + f"-{k}"
        copied.append(part)
    pd.concat(copied, ignore_index=True).to_parquet(run.output("link.review_levels"), index=False)
    done.write_text(json.dumps({"records": records, "copies": copies}), "utf-8")
    return target, copies


def _get(url: str) -> tuple[float, float]:
    """(wall, CPU) milliseconds of one page. The console runs in this process and the client waits, so the
    process's CPU time is the page's own work (DuckDB's threads included), whatever else loads the machine."""
    started, cpu = time.perf_counter(), time.process_time()
    with urllib.request.urlopen(url, timeout=120) as answer:
        answer.read()
        if answer.status != 200:
            raise RuntimeError(f"{url}: HTTP {answer.status}")
    return (time.perf_counter() - started) * 1000, (time.process_time() - cpu) * 1000


def _requests(warehouse: Path, rng: random.Random, pages: int) -> dict[str, list[str]]:
    """The pages to ask for, by kind (ids and search terms drawn from the warehouse)."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        customers = [r[0] for r in con.execute("select customer_id from core.customer using sample 2000").fetchall()]
        people = con.execute(
            "select surname_latin, given_name_latin, phone_e164, email from staging.contact "
            "where surname_latin is not null using sample 2000"
        ).fetchall()
        rules = [r[0] for r in con.execute("select distinct rule from dq.failure").fetchall()]
        pairs = con.execute("select count(*) from core.match_review").fetchone()
    queue_pages = max(1, math.ceil((int(pairs[0]) if pairs else 0) / 20))
    n = max(1, pages // 10)
    people_with = [p for p in people if p[0]]
    return {
        "review queue page": [f"/queue?page={rng.randint(1, queue_pages)}" for _ in range(2 * n)],
        "customer page": [f"/customers/{rng.choice(customers)}" for _ in range(4 * n)],
        "search by Latin name": [
            "/customers?q=" + urllib.parse.quote(f"{p[1] or ''} {p[0]}".strip()) for p in rng.sample(people_with, n)
        ],
        "search by phone, e-mail or id": [
            "/customers?q=" + urllib.parse.quote(q)
            for q in [
                *(p[2] for p in rng.sample([p for p in people if p[2]], n // 2 or 1)),
                *(p[3] for p in rng.sample([p for p in people if p[3]], n // 2 or 1)),
                *(rng.choice(customers) for _ in range(n // 2 or 1)),
            ]
        ],
        "data-quality queue": [
            "/quality" + (f"?rule={urllib.parse.quote(rng.choice(rules))}" if rules and i % 2 else "") for i in range(n)
        ],
    }


def measure(warehouse: Path, data_dir: Path, pages: int, seed: int = 1) -> dict[str, Any]:
    """Serve the console over ``warehouse`` and time ``pages`` requests (milliseconds, end to end over HTTP)."""
    import socket
    import threading

    import uvicorn

    from transforms.console.app import ConsoleConfig, create_app

    plan = _requests(warehouse, random.Random(seed), pages)  # before the console opens the file
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    app = create_app(ConsoleConfig(warehouse_url=f"duckdb:///{warehouse}", data_dir=data_dir, steward="bench"))
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    base = f"http://127.0.0.1:{port}"
    try:
        first_queue = _get(f"{base}/queue")[0]
        order = [(kind, path) for kind, paths in plan.items() for path in paths]
        random.Random(seed).shuffle(order)
        timings: dict[str, list[float]] = {kind: [] for kind in plan}
        cpu: dict[str, list[float]] = {kind: [] for kind in plan}
        for kind, path in order:
            wall, spent = _get(base + path)
            timings[kind].append(wall)
            cpu[kind].append(spent)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
    every = [t for ts in timings.values() for t in ts]
    every_cpu = [t for ts in cpu.values() for t in ts]
    return {
        "first_queue_ms": first_queue,
        "timings": timings,
        "all": every,
        "cpu": cpu,
        "all_cpu": every_cpu,
        "load": os.getloadavg()[1],
    }


def _p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))]


def render(result: dict[str, Any], records: int, copies: int, base_customers: int, command: str) -> str:
    lines = [
        "## Steward's console: page times",
        "",
        f"`{command}`: a warehouse of {records:,} source records (`staging.contact`), made of {copies} copies of a "
        f"published night over {base_customers:,} generated customers; pages asked over HTTP from the console "
        "served by uvicorn on 127.0.0.1 (DuckDB), in random order. Target: p95 under 300 ms.",
        "",
        "| page | requests | median ms | p95 ms | max ms | CPU ms, median | CPU ms, p95 |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    kinds = [*result["timings"], "every page"]
    walls = [*result["timings"].values(), result["all"]]
    cpus = [*result["cpu"].values(), result["all_cpu"]]
    for kind, values, spent in zip(kinds, walls, cpus, strict=True):
        lines.append(
            f"| {kind} | {len(values)} | {statistics.median(values):.0f} | {_p(values, 0.95):.0f} | "
            f"{max(values):.0f} | {statistics.median(spent):.0f} | {_p(spent, 0.95):.0f} |"
        )
    lines += [
        "",
        f"The first queue page after start (or after a new night is published) groups every doubtful pair: "
        f"{result['first_queue_ms']:.0f} ms, not counted above. Load average of the machine during the run "
        f"(5 minutes): {result['load']:.1f} on {os.cpu_count()} cores. The CPU columns are the page's own work "
        "(the console runs in the probe's process, the client waiting): about what a page would take on an idle "
        "machine; with a load average near the number of cores the times above are that too.",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--base-customers", type=int, default=2_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--pages", type=int, default=300)
    parser.add_argument("--work-dir", type=Path, default=PROJECT / "data" / "bench")
    parser.add_argument("--out", type=Path, default=PROJECT / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    base, base_run = base_night(args.work_dir, args.base_customers, args.seed)
    target_dir = args.work_dir / f"console_{args.records}"
    warehouse, copies = replicate(base, base_run, target_dir, args.records)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        row = con.execute("select count(*) from staging.contact").fetchone()
    records = int(row[0]) if row else 0
    result = measure(warehouse, target_dir, args.pages)
    command = "python -m devkit.bench.console_probe " + " ".join(sys.argv[1:] if argv is None else argv)
    block = render(result, records, copies, args.base_customers, command.strip())
    write_block(args.out, "console", block)
    print(block)
    return result


if __name__ == "__main__":
    main()
