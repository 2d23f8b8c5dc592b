"""Benchmark of the segment stage: time and peak memory at a given number of customers.

``bench_segments(root, customers)`` generates a company (seed 7) under ``root`` (kept for the next call),
runs extract, standardize, link and receivables once, then measures the segment stage on a first night (no
previous segments: k chosen over the whole range) and on a second night (started from the first night's
centres, after publishing them to the run's warehouse). The first night's segments are also scored against the
generator's hidden behaviour profiles (adjusted Rand index): each linked customer stands for the true customer most
of its records belong to, so linkage errors count, as they do in a real night.

    uv run python -c "from pathlib import Path; from devkit.bench.segments_probe import bench_segments; \\
        print(bench_segments(Path('/tmp/bench_segments'), 20000))"
"""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd
from sklearn.metrics import adjusted_rand_score

from devkit.bench.linkage_probe import contact_truth
from devkit.bench.samples import sample_folder, staged_sample
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.pipeline.memory import measure
from transforms.pipeline.publish_stage import load_outputs
from transforms.pipeline.segment_stage import run_segments
from transforms.warehouse.ddl import ensure_schema
from transforms.warehouse.engine import make_engine

AS_OF = "2026-11-20"


def _prepared_run(root: Path, customers: int, seed: int) -> Path:
    """A run folder with link/ and receivables/ written (made once per size and seed)."""
    return staged_sample(
        root,
        customers,
        seed=seed,
        run_id="segments_bench",
        stages=("extract", "standardize", "link", "receivables"),
        as_of=AS_OF,
    )


def _publish(ctx: RunContext) -> None:
    engine = make_engine(ctx.warehouse_url)
    try:
        ensure_schema(engine)
        with engine.begin() as conn:
            load_outputs(conn, ctx, ctx.catalog.warehouse_loads(stages=("segments",)), keep_nights=400)
    finally:
        engine.dispose()


def profile_agreement(run_dir: Path, sample: Path) -> float:
    """Adjusted Rand index between the run's segments and the hidden profile of each customer's majority person."""
    links = RunCatalog(run_dir).read("link.customer_source_record")
    located = contact_truth(links, pd.read_parquet(sample / "truth" / "rows.parquet")).assign(
        customer_id=links["customer_id"].to_numpy()
    )
    person = located.dropna(subset=["entity"]).groupby("customer_id")["entity"].agg(lambda s: s.value_counts().index[0])
    people = pd.read_parquet(sample / "truth" / "customers.parquet", columns=["customer_id", "behaviour_profile"])
    profile = people.set_index("customer_id")["behaviour_profile"]
    segments = RunCatalog(run_dir).read("segments.customer_segment", ["customer_id", "segment_id"])
    truth = profile.reindex(person.reindex(segments["customer_id"]).to_numpy())
    return float(adjusted_rand_score(truth.to_numpy(), segments["segment_id"].to_numpy()))


def bench_segments(root: Path, customers: int, *, seed: int = 7) -> list[dict[str, Any]]:
    """Seconds and peak memory (MB) of the segment stage, first night and next night; the first night's agreement
    with the hidden profiles."""
    run_dir = _prepared_run(root, customers, seed)
    ctx = RunContext.load(run_dir)
    engine = make_engine(ctx.warehouse_url)
    with engine.begin() as conn:  # start from a warehouse without segments
        for table in ("customer_segment", "segment_profile"):
            conn.exec_driver_sql(f"drop table if exists marts.{table}")
    engine.dispose()
    rows: list[dict[str, Any]] = []
    for night, run_id in (("first night", "segments_bench"), ("next night", "segments_bench_2")):
        night_ctx = dataclasses.replace(ctx, run_id=run_id)
        with measure() as m:
            run_segments(night_ctx)
        manifest = ctx.catalog.manifest("segments")
        rows.append(
            {
                "stage": "segments",
                "night": night,
                "customers_generated": customers,
                "customers": manifest.get("customers"),
                "k": manifest.get("k"),
                "warm_started": manifest.get("warm_started"),
                "seconds": round(m.seconds, 1),
                "peak_memory_mb": round(m.peak_rss_mb, 0),
            }
        )
        if night == "first night":
            agreement = profile_agreement(run_dir, sample_folder(root, customers, seed))
            rows[-1]["adjusted_rand_index"] = round(agreement, 3)
        _publish(night_ctx)
    return rows
