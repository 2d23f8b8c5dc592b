"""Celery settings of the workers that run the night: Airflow's own, plus the project's modules imported once,
when a worker starts.

    [celery] celery_config_options = crm_celery_config.CELERY_CONFIG     (this folder on the workers' PYTHONPATH)

A Celery worker runs each task in a process forked from itself, so what the worker has imported costs a task
nothing. Imported by each task instead, the stages' libraries take seconds of CPU every time (Great Expectations
about 7 s, scikit-learn and recordlinkage about 4 s, pandas about 1 s, measured on 2 busy cores), paid by each of
the dozens of file-by-file tasks of a night. Airflow preloads its own heavy modules the same way (the
``celery_import_modules`` signal of its Celery provider). Nothing here opens a file or a connection: only imports.
"""

from __future__ import annotations

from typing import Any

from airflow.providers.celery.executors.default_celery import DEFAULT_CELERY_CONFIG

#: The modules every stage imports when it runs (transforms.pipeline.tasks imports them lazily, one per stage).
PRELOADED = (
    "pandas",
    "pyarrow.parquet",
    "transforms.pipeline.tasks",
    "transforms.pipeline.extract_stage",
    "transforms.pipeline.standardize_stage",
    "transforms.pipeline.validate_stage",
    "transforms.quality.runner",
    "transforms.pipeline.link_stage",
    "transforms.pipeline.receivables_stage",
    "transforms.pipeline.segment_stage",
    "transforms.pipeline.publish_stage",
    "transforms.pipeline.report_stage",
)

CELERY_CONFIG: dict[str, Any] = {**DEFAULT_CELERY_CONFIG, "imports": PRELOADED}
