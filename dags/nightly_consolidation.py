"""Nightly CRM consolidation: messy customer sources -> one warehouse.

Parse-time rules (the scheduler's DAG processor imports this file every ~30 s):
no file I/O, no database access, no pandas/duckdb/transforms imports at module
level (``transforms.defaults``, standard library only, gives the parameter
defaults, the same as ``crm-etl``'s). Every task
body imports ``transforms.pipeline.tasks`` lazily, makes exactly one call into
it and returns a short string (a path or a summary) or the list of the night's
files, never a DataFrame.

Extract, standardize and validate are mapped over the night's files (dynamic
task mapping), so that an executor with several workers (CeleryExecutor,
KubernetesExecutor) reads, cleans and checks them side by side; after each, one
task combines the files' results into the stage's manifest, and the later
stages run as one task each (docs/scaling.md).
"""

from __future__ import annotations

import os
from datetime import timedelta
from typing import Any

from airflow.sdk import CronTriggerTimetable, Param, chain, dag, get_current_context, task

from transforms.defaults import default_paths

DAG_ID = "nightly_consolidation"

DEFAULTS = default_paths()

# Retries are on by default (a nightly batch should survive a flaky mount or a
# locked database). `airflow dags test` honours retry_delay by sleeping in its
# loop, so local runs (make demo, the end-to-end test) set CRM_TASK_RETRIES=0
# to fail in seconds instead of minutes.
TASK_RETRIES = int(os.environ.get("CRM_TASK_RETRIES", "2"))
RETRY_DELAY = timedelta(seconds=int(os.environ.get("CRM_RETRY_DELAY_SECONDS", "300")))

DOC_MD = """
### Nightly CRM consolidation

Consolidates the customer sources listed in `sources` into the warehouse at
`warehouse_url`, one run folder per Airflow run under `data_dir/runs/`.

| task | does |
| --- | --- |
| `prepare_run` | writes `run.json` (sources, warehouse, as-of date, run id) and the night's files into the run folder |
| `night_files` | lists the night's files: the per-file tasks below are mapped over them |
| `extract_file` (one per file) | reads a source file as text, row by row, into the run folder |
| `extract` | the stage's manifest, once every file is read |
| `standardize_file` (one per file) | cleans names, emails, phones, addresses, dates |
| `standardize` | the night's staged tables, once every file is clean |
| `validate_file` (one per file) | data-quality suites on the file's rows: every failing value kept |
| `validate` | the night's data quality; stops before publishing if a critical rule breaks |
| `link` | links duplicates into customers with stable ids and golden records; doubtful pairs to a review workbook |
| `receivables` | invoices and payments per customer; payment reliability class and late-payment risk |
| `segments` | customer features and segments, stable from night to night; analysts' rule-based segment views |
| `publish` | loads the warehouse in one transaction (all or nothing) |
| `report` | control report and each employee's to-do list; runs even when an earlier task failed |
| `summarize` | rows read / loaded / quarantined per file, reports written |

Every stage reads and writes files in the run folder; XCom only carries paths (and the night's file list).
With several workers the run folder (`data_dir`) must be one folder every worker sees (docs/scaling.md).
Re-running a run (clear + rerun) is safe: `prepare_run` is idempotent and
`publish` replaces the run's data in a single transaction.

**Params** (all optional; the Trigger button works without typing any): `as_of`
(YYYY-MM-DD; empty = the run's data interval end / logical date), `sources`,
`warehouse_url`, `data_dir` (defaults come from `CRM_SOURCES`, `CRM_WAREHOUSE_URL`,
`CRM_DATA_DIR` or the project folder, as for `crm-etl`), `allow_older_night` (off: a night older than the
newest published one is refused, since publishing it would move the customer ids and current tables back),
`full_relink` (off: a night with few changed records links only those; on: every record, model refitted).

A night is published once: running it again (a rerun, or the scheduled run next to a triggered one)
replaces its rows in the history tables (dq.*, marts.customer_reliability_history,
marts.segment_movement, ops.reconciliation) instead of adding them twice.

Schedule: 02:00 UTC every night, one run at a time. Unpausing does not start a run for a
night already past (`run_immediately=timedelta(0)`, `catchup=False`): "Trigger" with "unpause"
runs the night once.

The run's results: the `summarize` task's log and XCom list the control report, the linkage
diagnostics and the to-do lists (as `file://` links) and the counts per file.

Local run: `make demo` (uses `airflow dags test`, no scheduler or API server); `make ui` opens this UI.
"""

#: Each task's page in the UI (Task Instance Details): what it does, where it writes, what to do when it fails.
TASK_DOCS = {
    "prepare_run": "Validates the sources file (a mistake stops here, naming the file and key) and writes "
    "`run.json` and the night's files (each source's path or glob resolved) into "
    "`data_dir/runs/<run id>/`.",
    "night_files": "Lists the night's files, as prepare_run resolved them: each file-by-file task below runs once "
    "per file (its name in the grid), on whichever worker is free.",
    "extract_file": "Reads one declared file into `extract/`; an unreadable file is named and the night goes on; "
    "blank rows, titles and totals are quarantined with their reason.",
    "extract": "Writes the extract stage's manifest from every file's report (`extract/manifest.json`).",
    "standardize_file": "Cleans one file's names (any script), phones, e-mails, dates, addresses, tax ids into "
    "`standardize/files/`.",
    "standardize": "Combines the files' staged tables into the night's (`standardize/*.parquet`).",
    "validate_file": "Runs the data-quality suites on one file's rows; its failing values and counts go to "
    "`validate/parts/`.",
    "validate": "Combines the files' data quality: every failing value goes to `validate/failure.parquet` "
    "(dq.failure). Fails (nothing published) when a critical rule breaks beyond its tolerance: the log "
    "names the rule, the file and the setting.",
    "link": "Links duplicates into customers with stable ids and golden records; doubtful pairs go to "
    "`link/review_<date>.xlsx`, the model's page to `link/diagnostics.html`.",
    "receivables": "Settles invoices and payments; payment reliability class and late-payment risk per customer.",
    "segments": "Customer features and segments (stable ids and names night to night); analysts' rule segments.",
    "publish": "Reconciles every file (read = loaded + quarantined) and loads the warehouse in one transaction.",
    "report": "Writes `report/report.html` (control report) and each employee's to-do list and reminder in "
    "`report/todo/`; runs even when an earlier task failed.",
    "summarize": "Prints the night's summary: rows per file, and links to the report, diagnostics and to-do lists.",
}

_DATE_PATTERN = r"^(\d{4}-\d{2}-\d{2})?$"


def _resolve_as_of(requested: str | None, context: Any) -> str:
    """The business date of the run: the `as_of` param, else the run's own date.

    Scheduled runs use the data interval end (with Airflow 3's default
    CronTriggerTimetable it equals the logical date, i.e. the night of the run);
    manual runs triggered without a logical date fall back to run_after.
    """
    if requested:
        return str(requested)
    for key in ("data_interval_end", "logical_date"):
        value = context.get(key)
        if value is not None:
            return str(value.date().isoformat())
    return str(context["dag_run"].run_after.date().isoformat())


@dag(
    dag_id=DAG_ID,
    description="Consolidate scattered customer sources into the warehouse, nightly.",
    schedule=CronTriggerTimetable("0 2 * * *", timezone="UTC", run_immediately=timedelta(0)),
    # No start_date: with one, Airflow schedules the latest past 02:00 as soon as the DAG is unpaused (a second
    # run of the night just triggered). Without, run_immediately=timedelta(0) waits for the next 02:00; False
    # would not: Airflow reads it as "run the past 02:00 if it is less than a tenth of a day ago", so a DAG
    # unpaused between 02:00 and 04:24 would run last night a second time beside the one just triggered.
    catchup=False,
    max_active_runs=1,
    dagrun_timeout=timedelta(hours=6),
    default_args={
        "owner": "crm-data",
        "retries": TASK_RETRIES,
        "retry_delay": RETRY_DELAY,
        "retry_exponential_backoff": True,
        "execution_timeout": timedelta(hours=2),
    },
    params={
        "as_of": Param(
            None,
            type=["null", "string"],  # optional in the trigger form: left empty, it is null
            pattern=_DATE_PATTERN,
            title="As-of date",
            description="YYYY-MM-DD. Empty: the run's data interval end (or logical date).",
        ),
        "sources": Param(
            DEFAULTS.sources,
            type="string",
            minLength=1,
            title="Sources file",
            description="Path of the sources.yml listing the files to consolidate.",
        ),
        "warehouse_url": Param(
            DEFAULTS.warehouse_url,
            type="string",
            minLength=1,
            title="Warehouse URL",
            description="SQLAlchemy URL of the warehouse (duckdb:///... or postgresql://...).",
        ),
        "data_dir": Param(
            DEFAULTS.data_dir,
            type="string",
            minLength=1,
            title="Data folder",
            description="Folder that receives runs/<run id>/ with manifests and reports.",
        ),
        "allow_older_night": Param(
            False,
            type="boolean",
            title="Allow an older night",
            description="Publish even if the warehouse holds a newer night: the customer ids and current tables "
            "go back to this night. Off: such a run is refused.",
        ),
        "full_relink": Param(
            False,
            type="boolean",
            title="Full relink",
            description="Link every record again and refit the linkage model (as `crm-etl run --full`). Off: a "
            "night with few changed records links only those (linkage.yml `incremental` says when it may).",
        ),
    },
    tags=["crm", "consolidation", "nightly"],
    doc_md=DOC_MD,
)
def nightly_consolidation() -> None:
    @task(doc_md=TASK_DOCS["prepare_run"])
    def prepare_run() -> str:
        from transforms.pipeline import tasks

        context = get_current_context()
        params = context["params"]
        return tasks.prepare_run(
            sources=params["sources"],
            warehouse_url=params["warehouse_url"],
            as_of=_resolve_as_of(params["as_of"], context),
            run_id=context["run_id"],
            data_dir=params["data_dir"],
            allow_older_night=bool(params.get("allow_older_night", False)),
            full_relink=bool(params.get("full_relink", False)),
        )

    @task(doc_md=TASK_DOCS["night_files"])
    def night_files(run_dir: str) -> list[str]:
        from transforms.pipeline import tasks

        return tasks.night_files(run_dir)

    # One task instance per file, named after it in the grid (map_index_template renders after the task ran,
    # with what the task put into its context).
    @task(doc_md=TASK_DOCS["extract_file"], map_index_template="{{ source_file }}")
    def extract_file(run_dir: str, source_file: str) -> str:
        from transforms.pipeline import tasks

        get_current_context()["source_file"] = source_file
        return tasks.extract_file(run_dir, source_file)

    @task(doc_md=TASK_DOCS["extract"])
    def extract(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.combine_extract(run_dir)

    @task(doc_md=TASK_DOCS["standardize_file"], map_index_template="{{ source_file }}")
    def standardize_file(run_dir: str, source_file: str) -> str:
        from transforms.pipeline import tasks

        get_current_context()["source_file"] = source_file
        return tasks.standardize_file(run_dir, source_file)

    @task(doc_md=TASK_DOCS["standardize"])
    def standardize(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.combine_standardize(run_dir)

    @task(doc_md=TASK_DOCS["validate_file"], map_index_template="{{ source_file }}")
    def validate_file(run_dir: str, source_file: str) -> str:
        from transforms.pipeline import tasks

        get_current_context()["source_file"] = source_file
        return tasks.validate_file(run_dir, source_file)

    @task(doc_md=TASK_DOCS["validate"])
    def validate(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.combine_validate(run_dir)

    @task(doc_md=TASK_DOCS["link"])
    def link(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.link(run_dir)

    @task(doc_md=TASK_DOCS["receivables"])
    def receivables(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.receivables(run_dir)

    @task(doc_md=TASK_DOCS["segments"])
    def segments(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.segments(run_dir)

    # A gated or failed night still gets its control report and to-do lists: the report runs once every
    # earlier task has finished, whatever their outcome (the failed task had the night's failures loaded).
    @task(trigger_rule="all_done", doc_md=TASK_DOCS["report"])
    def report(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.report(run_dir)

    @task(doc_md=TASK_DOCS["publish"])
    def publish(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.publish(run_dir)

    @task(doc_md=TASK_DOCS["summarize"])
    def summarize(run_dir: str) -> str:
        from transforms.pipeline import tasks

        return tasks.summarize(run_dir)  # also in the task log; `make demo` prints this XCom

    # Every stage reads the run folder made by prepare_run (hence an edge from
    # prepare_run to each of them) and runs strictly after the previous stage.
    # The file-by-file tasks are mapped over the night's files; the task after
    # each waits for all of them and writes the stage's manifest.
    run_dir = prepare_run()
    files = night_files(run_dir)
    chain(
        extract_file.partial(run_dir=run_dir).expand(source_file=files),
        extract(run_dir),
        standardize_file.partial(run_dir=run_dir).expand(source_file=files),
        standardize(run_dir),
        validate_file.partial(run_dir=run_dir).expand(source_file=files),
        validate(run_dir),
        link(run_dir),
        receivables(run_dir),
        segments(run_dir),
        publish(run_dir),
        report(run_dir),
        summarize(run_dir),
    )


nightly_consolidation()
