"""Generated companies run through the first stages once, cached under the benchmark's work folder.

Every benchmark needs the same thing: a sample company of a given size and seed, and a run folder in which
some stages have run. Made once per (size, seed, run id) and reused by later benchmark runs.
"""

from __future__ import annotations

from pathlib import Path

from transforms.pipeline.catalog import RunCatalog

AS_OF = "2026-11-20"


def sample_folder(root: Path, customers: int, seed: int = 7) -> Path:
    """Where the company of ``customers`` and ``seed`` is generated (its files and its truth/)."""
    return root / f"sample_{customers}_{seed}"


def staged_sample(
    root: Path,
    customers: int,
    *,
    seed: int = 7,
    run_id: str,
    stages: tuple[str, ...] = ("extract", "standardize"),
    as_of: str = AS_OF,
) -> Path:
    """Generate ``customers`` under ``root`` (unless there) and run ``stages`` of a run; returns the run folder."""
    from devkit.generator import generate_sample
    from transforms.pipeline import tasks

    sample = sample_folder(root, customers, seed)
    if not (sample / "sources.yml").is_file():
        generate_sample(sample, customers=customers, seed=seed)
    data = root / f"data_{customers}_{seed}"
    run_dir = RunCatalog.of_run(data, run_id).root
    if not RunCatalog(run_dir).has_manifest(stages[-1]):
        run = tasks.prepare_run(
            sources=str(sample / "sources.yml"),
            warehouse_url=f"duckdb:///{data / 'w.duckdb'}",
            as_of=as_of,
            run_id=run_id,
            data_dir=str(data),
        )
        for stage in stages:
            getattr(tasks, stage)(run)
    return run_dir
