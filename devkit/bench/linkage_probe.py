"""Benchmark of the record linkage: time, peak memory and F1 on generated customers of a given size.

``bench_linkage(root, customers)`` generates a company (seed 7), runs extract and standardize to get the staged
contacts, links them and scores the clusters against the generator's truth. It also times the comparison step
against recordlinkage.Compare on the same candidate pairs and levels (pairs per second).

    uv run python -c "from pathlib import Path; from devkit.bench.linkage_probe import bench_linkage; \\
        print(bench_linkage(Path('/tmp/bench_link'), 20000))"

``bench_linkage_vs_splink(root, customers, repeats)`` links the same staged contacts with our model and with Splink
(devkit/bench/splink_probe.py), each run in a fresh process so that its peak memory is its own, and
``render_linkage`` writes the table into docs/benchmarks.md:

    uv run --group bench python -m devkit.bench.linkage_probe --customers 20000 100000 340000 --repeats 3
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from devkit.bench.blocks import replace_block
from devkit.bench.samples import sample_folder, staged_sample
from devkit.scoring.linkage import cluster_scores, pair_keys
from transforms.linkage import link_records, load_linkage_settings
from transforms.linkage.blocking import candidate_pairs
from transforms.linkage.compare import compare_pairs
from transforms.linkage.prepare import prepare_records
from transforms.linkage.settings import LinkageSettings
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.memory import measure

LOCATION = ["source_name", "source_file", "sheet", "row_number"]
ENGINES = ("ours", "splink")
MARK_BEGIN = "<!-- bench:linkage:begin -->"
MARK_END = "<!-- bench:linkage:end -->"
#: Customers linked by the benchmark; the generator writes about three records per customer, so the largest size is
#: the issue's million records.
LINKAGE_CUSTOMERS = (20_000, 100_000, 340_000)


def staged_contacts(root: Path, customers: int, *, seed: int = 7, as_of: str = "2026-11-20") -> Path:
    """Generate a company under ``root`` (unless already there) and stage it; returns the run folder."""
    return staged_sample(root, customers, seed=seed, run_id="linkage_bench", as_of=as_of)


def contact_truth(contacts: pd.DataFrame, truth_rows: pd.DataFrame) -> pd.DataFrame:
    """record_id -> the true customer (entity), joined on the row's location."""
    joined = contacts[["record_id", *LOCATION]].merge(truth_rows[[*LOCATION, "customer_id"]], on=LOCATION, how="left")
    return joined.rename(columns={"customer_id": "entity"})[["record_id", "entity"]]


def compare_with_recordlinkage(
    settings: LinkageSettings, prepared: pd.DataFrame, left: np.ndarray, right: np.ndarray
) -> pd.DataFrame:
    """The same levels, with every similarity computed by recordlinkage.Compare on the pairs (for timing)."""
    import recordlinkage as rl

    def rl_similarity(metric: str, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        frame_a = pd.DataFrame({"v": a})
        frame_b = pd.DataFrame({"v": b})
        index = pd.MultiIndex.from_arrays([np.arange(len(a)), np.arange(len(b))])
        comp = rl.Compare()
        if metric in ("levenshtein", "hamming"):
            comp.string("v", "v", method="damerau_levenshtein", label="s")
            sim = comp.compute(index, frame_a, frame_b)["s"].to_numpy()
            longest = np.maximum(pd.Series(a).str.len().to_numpy(), pd.Series(b).str.len().to_numpy())
            distance: np.ndarray = np.rint((1.0 - sim) * longest)
            return distance
        method = {"jaro_winkler": "jarowinkler", "ratio": "levenshtein"}.get(metric, "qgram")
        comp.string("v", "v", method=method, label="s")
        similarity: np.ndarray = comp.compute(index, frame_a, frame_b)["s"].to_numpy()
        return similarity

    return compare_pairs(settings, prepared, left, right, similarity=rl_similarity)


def _timed(func: Any) -> tuple[Any, float, float]:
    """The call's result, wall seconds and the process's peak resident memory (MiB) while it ran."""
    with measure() as m:
        out = func()
    return out, m.seconds, m.peak_rss_mb


def bench_linkage(root: Path, customers: int, *, compare_sample: int = 200_000) -> list[dict[str, Any]]:
    """Time, peak resident memory (MiB) and pairwise F1 of linking ``customers`` generated customers;
    plus pairs/second of the comparison step, ours vs recordlinkage.Compare, on a sample of the candidates."""
    run_dir = staged_contacts(root, customers)
    contacts = pd.read_parquet(RunCatalog(run_dir).path("standardize.contact"))
    sample = sample_folder(root, customers)
    truth = contact_truth(contacts, pd.read_parquet(sample / "truth" / "rows.parquet"))
    settings = load_linkage_settings(None)
    result, seconds, peak = _timed(lambda: link_records(contacts, settings, seed=0))
    score = cluster_scores(result.clusters, truth)
    true_pairs = truth.merge(truth, on="entity")
    true_pairs = true_pairs[true_pairs["record_id_x"] < true_pairs["record_id_y"]]
    truth_keys = pair_keys(true_pairs["record_id_x"], true_pairs["record_id_y"])
    blocked = pair_keys(result.pairs["record_id_l"], result.pairs["record_id_r"])
    rows: list[dict[str, Any]] = [
        {
            "step": "link_records",
            "customers": customers,
            "records": len(contacts),
            "candidate_pairs": len(result.pairs),
            "seconds": round(seconds, 2),
            "peak_rss_mib": round(peak, 1),
            "precision": round(score["precision"], 4),
            "recall": round(score["recall"], 4),
            "f1": round(score["f1"], 4),
            "blocking_recall": round(float(blocked.isin(truth_keys).sum() / len(truth_keys)), 4),
            **{f"seconds_{k}": v for k, v in result.stats["seconds"].items()},
        }
    ]
    prepared = prepare_records(contacts, settings)
    cands = candidate_pairs(prepared, settings)
    take = np.random.default_rng(0).choice(len(cands), min(compare_sample, len(cands)), replace=False)
    left, right = cands.left[take], cands.right[take]
    ours, t_ours, _ = _timed(lambda: compare_pairs(settings, prepared, left, right))
    theirs, t_rl, _ = _timed(lambda: compare_with_recordlinkage(settings, prepared, left, right))
    cmp_cols = [c for c in ours.columns if c.startswith("cmp_")]
    same = float((ours[cmp_cols].to_numpy() == theirs[cmp_cols].to_numpy()).mean())
    rows.append(
        {
            "step": "compare",
            "pairs": len(left),
            "pairs_per_second_ours": round(len(left) / t_ours),
            "pairs_per_second_recordlinkage": round(len(left) / t_rl),
            "share_of_levels_equal": round(same, 5),
        }
    )
    return rows


def run_engine(engine: str, run_dir: Path, truth_rows: Path) -> dict[str, Any]:
    """Link a run's staged contacts with one engine in this process: seconds and peak resident memory (MiB) of
    the linkage alone (reading the files and scoring come before and after), and pairwise scores."""
    contacts = pd.read_parquet(RunCatalog(run_dir).path("standardize.contact"))
    truth = contact_truth(contacts, pd.read_parquet(truth_rows))
    settings = load_linkage_settings(None)
    if engine == "splink":
        from devkit.bench.splink_probe import bench_splink

        return bench_splink(contacts, truth, settings)
    if engine != "ours":
        raise ValueError(f"engine: expected one of {', '.join(ENGINES)}, got {engine!r}")
    start = time.perf_counter()
    result = link_records(contacts, settings, seed=0)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    score = cluster_scores(result.clusters, truth)
    return {
        "engine": engine,
        "records": len(contacts),
        "seconds": seconds,
        "peak_mb": peak,
        "precision": score["precision"],
        "recall": score["recall"],
        "f1": score["f1"],
        "steps": result.stats["seconds"],
        "linked_pairs": result.stats["accepted_pairs"],
    }


def probe_engine(engine: str, run_dir: Path, truth_rows: Path, timeout: float | None = None) -> dict[str, Any]:
    """``run_engine`` in a fresh Python process (the same interpreter, so Splink is there when this one has it)."""
    proc = subprocess.run(
        [sys.executable, "-m", "devkit.bench.linkage_probe", "--engine", engine, str(run_dir), str(truth_rows)],
        check=True,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    found: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return found


def bench_linkage_vs_splink(root: Path, customers: list[int], repeats: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """Per size and engine: median seconds and peak memory over ``repeats`` runs, and pairwise precision,
    recall and F1 against the generator's truth (the same for every repeat: both engines are seeded)."""
    rows: list[dict[str, Any]] = []
    for size in customers:
        run_dir = staged_contacts(root, size, seed=seed)
        truth_rows = sample_folder(root, size, seed) / "truth" / "rows.parquet"
        for engine in ENGINES:
            runs = [probe_engine(engine, run_dir, truth_rows) for _ in range(repeats)]
            last = runs[-1]
            rows.append(
                {
                    **last,
                    "customers": size,
                    "seconds": statistics.median(r["seconds"] for r in runs),
                    "peak_mb": statistics.median(r["peak_mb"] for r in runs),
                    "repeats": len(runs),
                }
            )
    return rows


def render_linkage(results: list[dict[str, Any]], command: str) -> str:
    """The Markdown block written between the linkage markers of docs/benchmarks.md."""
    from devkit.bench.__main__ import machine

    lines = [
        MARK_BEGIN,
        f"Measured {dt.date.today().isoformat()} on {machine()}.",
        "",
        f"Command: `{command}`",
        "",
        "| engine | customers | records | median time (s) | median peak memory (MB) | precision | recall | F1 | runs |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        lines.append(
            f"| {r['engine']} | {r['customers']:,} | {r['records']:,} | {r['seconds']:.1f} | {r['peak_mb']:.0f} | "
            f"{r['precision']:.4f} | {r['recall']:.4f} | {r['f1']:.4f} | {r['repeats']} |"
        )
    lines += ["", "Where the time went (seconds of the last run, by step):", ""]
    for r in results:
        steps = ", ".join(f"{k} {v:.1f}" for k, v in r["steps"].items())
        lines.append(f"- {r['engine']}, {r['customers']:,} customers: {steps}")
    lines.append(MARK_END)
    return "\n".join(lines)


def write_linkage(doc: Path, block: str) -> None:
    """Replace the linkage block in ``doc``, or append it at the end."""
    replace_block(doc, MARK_BEGIN, MARK_END, block)


def main(argv: list[str] | None = None) -> None:
    """Either one engine on one staged run (``--engine``; prints JSON), or the whole side-by-side benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engine", choices=ENGINES)
    parser.add_argument("paths", nargs="*", type=Path, help="with --engine: the run folder and truth/rows.parquet")
    parser.add_argument("--customers", type=int, nargs="+", default=list(LINKAGE_CUSTOMERS))
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work-dir", type=Path, default=Path(__file__).resolve().parents[2] / "data" / "bench")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[2] / "docs" / "benchmarks.md")
    args = parser.parse_args(argv)
    if args.engine:
        run_dir, truth_rows = args.paths
        print(json.dumps(run_engine(args.engine, run_dir, truth_rows)), flush=True)
        return
    args.work_dir.mkdir(parents=True, exist_ok=True)
    results = bench_linkage_vs_splink(args.work_dir, args.customers, args.repeats)
    command = "uv run --group bench python -m devkit.bench.linkage_probe " + " ".join(sys.argv[1:])
    block = render_linkage(results, command.strip())
    write_linkage(args.out, block)
    print(block)


if __name__ == "__main__":
    main()
