"""Fixtures: a 20k-customer company with the truth stand-in for linkage and receivables, and a small company
run through the whole pipeline with the segment stage published into its DuckDB warehouse."""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from devkit.generator import generate_sample
from tests.segments.standin import write_standin
from tests.support import PipelineRun, run_pipeline
from transforms.pipeline.catalog import RunCatalog
from transforms.pipeline.context import RunContext
from transforms.pipeline.publish_stage import load_outputs
from transforms.pipeline.segment_stage import read_inputs, run_segments
from transforms.segments.features import build_features
from transforms.segments.settings import load_segments_file
from transforms.warehouse.ddl import ensure_schema
from transforms.warehouse.engine import make_engine

AS_OF = "2026-11-20"


@dataclass(frozen=True)
class KnownAnswers:
    """The 20k company's features (true customers) and the latent profile of each customer."""

    features: pd.DataFrame
    profiles: pd.Series


@pytest.fixture(scope="session")
def known_20k(staged_20k: tuple[Path, Path], tmp_path_factory: pytest.TempPathFactory) -> KnownAnswers:
    """The session's staged 20k company, linked by the truth (stand-in) in a copy of its run folder; features."""
    sample, staged = staged_20k
    run_dir = tmp_path_factory.mktemp("seg_run")
    shutil.copytree(staged / "standardize", run_dir / "standardize")
    write_standin(sample, Path(run_dir))
    settings = load_segments_file()
    inputs = read_inputs(RunCatalog(run_dir))
    features = build_features(
        *inputs.values(), as_of=dt.date.fromisoformat(AS_OF), settings=settings.features, base_currency="PLN"
    )
    truth = pd.read_parquet(sample / "truth" / "customers.parquet", columns=["customer_id", "behaviour_profile"])
    profiles = truth.set_index("customer_id")["behaviour_profile"].reindex(features["customer_id"])
    return KnownAnswers(features, profiles)


def publish_segments(ctx: RunContext) -> None:
    """Load the segment stage's tables and views the way the publish task does (one transaction)."""
    run = ctx.catalog
    engine = make_engine(ctx.warehouse_url)
    try:
        ensure_schema(engine)
        with engine.begin() as conn:
            load_outputs(conn, ctx, run.warehouse_loads(stages=("segments",)), keep_nights=400)
            for sql in run.views():
                conn.exec_driver_sql(sql)
    finally:
        engine.dispose()


@pytest.fixture(scope="session")
def segmented_run(tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """A 1,000-customer company through the whole nightly run, then the segment stage, published."""
    sample = tmp_path_factory.mktemp("seg_s1k")
    generate_sample(sample, customers=1_000, seed=5)
    run = run_pipeline(sample, tmp_path_factory.mktemp("seg_d1k"), run_id="seg_run_1", as_of=AS_OF)
    ctx = RunContext.load(run.run_dir)
    run_segments(ctx)
    publish_segments(ctx)
    return run
