"""Session fixtures: a generated sample company, one finished run over it (DuckDB), and a staged 20k company."""

from __future__ import annotations

from pathlib import Path

import pytest

from devkit.generator import generate_sample
from tests.support import PipelineRun, run_pipeline
from transforms.pipeline import tasks


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


@pytest.fixture(scope="session")
def staged_20k(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(sample folder, run folder) of a 20,000-customer company (seed 7) after extract and standardize.

    Shared by the linkage, receivables and segment tests that check themselves against the generator's truth.
    """
    sample = tmp_path_factory.mktemp("s20k")
    generate_sample(sample, customers=20_000, seed=7)
    data = tmp_path_factory.mktemp("d20k")
    run_dir = tasks.prepare_run(
        sources=str(sample / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'w.duckdb'}",
        as_of="2026-11-20",
        run_id="staged_20k",
        data_dir=str(data),
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    return sample, Path(run_dir)


#: Session fixtures that run a whole night or build a 20,000-customer company: their tests are in the full lane
#: only (``make test``); ``make test-fast`` leaves out every test marked slow, airflow or postgres.
HEAVY_FIXTURES = frozenset({"pipeline_run", "staged_20k"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark slow every test that uses a heavy fixture (modules running nights of their own say so themselves)."""
    for item in items:
        if HEAVY_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)
