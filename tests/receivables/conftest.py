"""Fixtures: a 20k-customer sample company staged once per session (generate, extract, standardize)."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.pipeline import tasks
from transforms.sample_data import generate_sample

AS_OF = "2026-11-20"


@pytest.fixture(scope="session")
def staged_20k(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sample folder, run folder) of a 20,000-customer company after extract and standardize."""
    sample = tmp_path_factory.mktemp("s20k")
    generate_sample(sample, customers=20_000, seed=7)
    data = tmp_path_factory.mktemp("d20k")
    run_dir = tasks.prepare_run(
        sources=str(sample / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'w.duckdb'}",
        as_of=AS_OF,
        run_id="recv_20k",
        data_dir=str(data),
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    return sample, Path(run_dir)
