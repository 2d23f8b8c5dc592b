"""Session fixtures: a generated sample company and one finished run over it (CLI path, DuckDB)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import PipelineRun, run_pipeline
from transforms.sample_data import generate_sample


@pytest.fixture(scope="session")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 400-customer sample company (seed 11)."""
    out = tmp_path_factory.mktemp("sample")
    generate_sample(out, customers=400, seed=11)
    return out


@pytest.fixture(scope="session")
def pipeline_run(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> PipelineRun:
    """One finished run over the sample company."""
    return run_pipeline(sample_dir, tmp_path_factory.mktemp("data"), run_id="test_run_1")
