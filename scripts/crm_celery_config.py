"""Celery settings of the workers that run the night: Airflow's own, plus the project's modules imported once,
when a worker starts.

    [celery] celery_config_options = crm_celery_config.CELERY_CONFIG     (this folder on the workers' PYTHONPATH)

A Celery worker runs each task in a process forked from itself, so what the worker has imported costs a task
nothing. Imported by each task instead, the stages' libraries take seconds of CPU every time (Great Expectations
about 7 s, scikit-learn and recordlinkage about 4 s, pandas about 1 s, measured on 2 busy cores), paid by each of
the three file-by-file tasks of each of the night's files. Airflow preloads its own heavy modules the same way (the
``celery_import_modules`` signal of its Celery provider). Nothing here opens a file or a connection: only imports.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

#: What the file-by-file tasks import (transforms.pipeline.tasks imports each stage lazily). The stages that run
#: once a night (link, receivables, segments, publish, report) import theirs in their task: preloaded, every
#: worker would pay for them at start instead of the one task that needs them.
PRELOADED = (
    "pandas",
    "pyarrow.parquet",
    "transforms.pipeline.tasks",
    "transforms.pipeline.extract_stage",
    "transforms.pipeline.standardize_stage",
    "transforms.pipeline.validate_stage",
    "transforms.quality.runner",
)

CELERY_CONFIG: dict[str, Any] = {**DEFAULT_CELERY_CONFIG, "imports": PRELOADED}
