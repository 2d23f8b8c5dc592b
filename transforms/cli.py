"""crm-etl: run the nightly consolidation without a scheduler, generate sample data, and see how runs went."""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Annotated, Any, TypeVar

import click
import typer
from rich.console import Console
from rich.table import Table

from transforms.defaults import default_paths
from transforms.faults import EXIT_BAD_INPUT, EXIT_REFUSED, as_fault
from transforms.log_setup import log_to
from transforms.pipeline.catalog import RUNS_FOLDER

# A traceback's local variables can hold customers' data: never print them.
app = typer.Typer(add_completion=False, no_args_is_help=True, help=__doc__, pretty_exceptions_show_locals=False)
# Wide enough for run ids and file paths when the output is piped or logged rather than shown in a terminal.
console = Console(width=None if sys.stdout.isatty() else 160)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 160)

# The same defaults as the DAG's params (CRM_SOURCES, CRM_DATA_DIR, CRM_WAREHOUSE_URL, else the project's).
_DEFAULTS = default_paths()
DEFAULT_SOURCES = _DEFAULTS.sources
DEFAULT_DATA_DIR = _DEFAULTS.data_dir
DEFAULT_WAREHOUSE = _DEFAULTS.warehouse_url


#: Set to 1 to let an unexpected error print its traceback (for a bug report) instead of one line.
DEBUG_ENV = "CRM_ETL_DEBUG"
F = TypeVar("F", bound=Callable[..., Any])


def _fail(message: str, code: int) -> typer.Exit:
    err.print(message, markup=False, highlight=False, soft_wrap=True, style="red")
    return typer.Exit(code)


def guarded(fn: F) -> F:
    """A command that ends in one line and an exit code (README, "Exit codes"), never in a traceback.

    A fault of the surroundings (warehouse down, wrong login or database, no rights, a folder that cannot be
    written) says what is wrong and what to do; any other error says what it was, and ``CRM_ETL_DEBUG=1``
    shows its traceback.
    """

    @functools.wraps(fn)
    def run(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except (typer.Exit, typer.Abort, click.exceptions.ClickException):
            raise
        except Exception as exc:
            fault = as_fault(exc, kwargs.get("warehouse"))
            if fault is not None:
                raise _fail(str(fault), fault.exit_code) from None
            if os.environ.get(DEBUG_ENV):
                raise
            first = (str(exc).splitlines() or [""])[0][:300]
            raise _fail(
                f"crm-etl stopped on an unexpected error: {type(exc).__name__}: {first} "
                f"(run again with {DEBUG_ENV}=1 to see where, and report it)",
                EXIT_REFUSED,
            ) from None

    return run  # type: ignore[return-value]


def _logging(verbose: bool) -> None:
    log_to(err, verbose=verbose)


@app.command()
@guarded
def generate(
    *,
    out: Annotated[Path, typer.Option(help="Folder to write the sample files, sources.yml and truth/ into.")],
    customers: Annotated[int, typer.Option(min=1, help="How many true customers to simulate.")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed: the same seed gives the same files.")] = 42,
) -> None:
    """Write a small company's messy files (journals, managers' workbooks, accounting) with the truth behind them."""
    try:
        # The generator is a development tool (devkit/, beside transforms/ in the repository), not in the package.
        from devkit.generator import generate_sample
    except ModuleNotFoundError as exc:
        if exc.name not in {"devkit", "devkit.generator"}:
            raise
        err.print(
            "crm-etl generate: the sample generator is a development tool, available in a clone of the repository "
            "(make setup), not in an installed package.",
            soft_wrap=True,
        )
        raise typer.Exit(EXIT_REFUSED) from None

    with console.status(f"Generating {customers} customers into {out} ..."):
        summary = generate_sample(out, customers=customers, seed=seed)
    console.print(f"Wrote sample data to [bold]{out}[/bold]; declare it with [bold]{out / 'sources.yml'}[/bold].")
    console.print(f"Truth for tests: {summary.truth_dir}")


@app.command()
@guarded
def run(
    *,
    sources: Annotated[
        Path, typer.Option(help="The sources file declaring the files to read (default CRM_SOURCES).")
    ] = Path(DEFAULT_SOURCES),
    warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse.")] = DEFAULT_WAREHOUSE,
    as_of: Annotated[str | None, typer.Option(help="Business date of the run (YYYY-MM-DD); default today.")] = None,
    data_dir: Annotated[Path, typer.Option(help="Where run folders and caches are kept.")] = Path(DEFAULT_DATA_DIR),
    run_id: Annotated[str | None, typer.Option(help="Run id; default cli__<as-of>__<time>.")] = None,
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log each stage's progress.")] = False,
    allow_older_night: Annotated[
        bool,
        typer.Option(
            "--allow-older-night",
            help="Publish even if the warehouse holds a newer night (moves customer ids and current tables back).",
        ),
    ] = False,
    lock_wait: Annotated[
        float | None,
        typer.Option(
            min=0,
            help="Seconds to wait for a DuckDB warehouse another process holds (a notebook); "
            "default CRM_WAREHOUSE_LOCK_WAIT or 180.",
        ),
    ] = None,
    full: Annotated[
        bool,
        typer.Option(
            "--full",
            help="Link every record again and refit the linkage model, rather than only what changed since the "
            "last night; train the late-payment model and choose the number of segments again too.",
        ),
    ] = False,
    one_process: Annotated[
        bool,
        typer.Option(
            "--one-process",
            help="Run every stage in this process rather than each in a fresh one (the night then peaks higher: "
            "memory a stage freed is seldom handed back to the system).",
        ),
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="How many of the night's files are extracted, standardized and checked at once, each in a "
            "process of its own; default the machine's cores, at most 4, when the files add up to 64 MB or more, "
            "else one (with --one-process: one).",
        ),
    ] = None,
) -> None:
    """Run the nightly tasks in the DAG's order, without Airflow; each stage in a process of its own."""
    _logging(verbose)
    from transforms.warehouse.engine import LOCK_WAIT_ENV

    with _set_for_now(LOCK_WAIT_ENV, None if lock_wait is None else str(lock_wait)):  # every stage's engine reads it
        _run_night(
            sources=sources,
            warehouse=warehouse,
            data_dir=data_dir,
            as_of=as_of,
            run_id=run_id,
            allow_older_night=allow_older_night,
            full=full,
            one_process=one_process,
            workers=workers,
            verbose=verbose,
        )


@contextlib.contextmanager
def _set_for_now(name: str, value: str | None) -> Iterator[None]:
    """``os.environ[name] = value`` while the command runs (nothing when ``value`` is None), as it was after: the
    command may run inside a longer-lived process (a test session, a notebook calling the app)."""
    before = os.environ.get(name)
    if value is not None:
        os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _run_night(
    *,
    sources: Path,
    warehouse: str,
    data_dir: Path,
    as_of: str | None,
    run_id: str | None,
    allow_older_night: bool,
    full: bool,
    one_process: bool,
    workers: int | None,
    verbose: bool,
) -> None:
    """``crm-etl run`` once its settings are in place: prepare the run, run its stages, print its summary."""
    from transforms.pipeline import tasks
    from transforms.pipeline.catalog import RunCatalog
    from transforms.pipeline.stage_process import default_workers, run_stage_in_process
    from transforms.settings import SettingsError
    from transforms.warehouse.nights import OlderNightError

    day = as_of or dt.date.today().isoformat()
    try:
        dt.date.fromisoformat(day)
    except ValueError:
        err.print(f"--as-of: {day!r} is not a date in YYYY-MM-DD form")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    rid = run_id or f"cli__{day}__{dt.datetime.now(dt.UTC).strftime('%Y%m%dT%H%M%S%f')}"
    try:
        run_dir = tasks.prepare_run(
            sources=str(sources),
            warehouse_url=warehouse,
            as_of=day,
            run_id=rid,
            data_dir=str(data_dir),
            allow_older_night=allow_older_night,
            whole_run=True,
            full_relink=full,
        )
    except SettingsError as exc:
        err.print(f"[red]Invalid sources file[/red]\n{exc}")
        raise typer.Exit(EXIT_BAD_INPUT) from None
    except OlderNightError as exc:
        raise _fail(f"Refused: {exc}", EXIT_REFUSED) from None
    except Exception as exc:
        fault = as_fault(exc, warehouse)
        if fault is None:
            raise
        raise _fail(f"The run failed: {fault}", fault.exit_code) from None

    def done(stage: str) -> None:
        console.print(f"[green]✓[/green] {stage}")

    run_task = None if one_process else functools.partial(run_stage_in_process, verbose=verbose)
    at_once = 1 if one_process else workers or tasks.workers_for(run_dir, default_workers())
    if not one_process:
        logging.getLogger(__name__).info("the night's files: %d at a time", at_once)

    with console.status("running the night's stages ..."):
        try:
            tasks.run_stages(run_dir, on_stage=done, run_task=run_task, workers=at_once)
        except Exception as exc:
            fault = as_fault(exc, warehouse)
            err.print(f"The run failed: {fault or exc}", markup=False, highlight=False, style="red", soft_wrap=True)
            report = RunCatalog(run_dir).stage_path("report")
            if report.is_dir():
                err.print(f"The control report and to-do lists of this night are in {report}", markup=False)
            raise typer.Exit(fault.exit_code if fault else EXIT_REFUSED) from None
    from transforms.pipeline.summary import format_summary, read_summary

    console.print(format_summary(read_summary(run_dir)), markup=False, highlight=False, soft_wrap=True)


@app.command()
@guarded
def summary(
    *,
    run_dir: Annotated[Path | None, typer.Option(help=f"A run folder (data/{RUNS_FOLDER}/<run id>).")] = None,
    warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse.")] = DEFAULT_WAREHOUSE,
    data_dir: Annotated[Path, typer.Option(help="Where run folders are kept.")] = Path(DEFAULT_DATA_DIR),
) -> None:
    """Print a run's summary; by default the latest published run recorded in the warehouse."""
    from transforms.pipeline.catalog import RunCatalog
    from transforms.pipeline.context import RunContext
    from transforms.pipeline.summary import format_summary, read_summary
    from transforms.warehouse.status import latest_published_run, run_outcome

    if run_dir is not None and RunCatalog(run_dir).exists("run"):
        # ops.run decides whether a run published, as `crm-etl status` says, whatever files its folder holds
        ctx = RunContext.load(run_dir)
        outcome = run_outcome(ctx.warehouse_url, ctx.run_id)
        if outcome is not None and outcome[0] not in ("succeeded", "succeeded_with_errors"):
            why = f": {outcome[1]}" if outcome[1] else ""
            raise _fail(f"Run {ctx.run_id} has not published (ops.run says {outcome[0]}{why}).", EXIT_REFUSED)
    if run_dir is None:
        rid = latest_published_run(warehouse)
        if rid is None:
            err.print("No published run in the warehouse yet.")
            raise typer.Exit(EXIT_REFUSED)
        run_dir = RunCatalog.of_run(data_dir, rid).root
        if not run_dir.is_dir():
            err.print(
                f"The latest published run is {rid}, but its folder is not under "
                f"{RunCatalog.runs_folder(data_dir)}: pass --data-dir."
            )
            raise typer.Exit(EXIT_REFUSED)
    try:
        console.print(format_summary(read_summary(run_dir)), markup=False, highlight=False, soft_wrap=True)
    except FileNotFoundError as exc:
        err.print(str(exc))
        raise typer.Exit(EXIT_REFUSED) from None


@app.command()
@guarded
def status(
    *,
    warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse.")] = DEFAULT_WAREHOUSE,
    limit: Annotated[int, typer.Option(min=1, help="How many recent runs to show.")] = 10,
    data_dir: Annotated[
        Path, typer.Option(help="Where run folders are kept (runs the warehouse could not record).")
    ] = Path(DEFAULT_DATA_DIR),
) -> None:
    """The last runs: when, outcome, rows read/loaded/quarantined, and what failed."""
    from transforms.pipeline.unrecorded import unrecorded_runs
    from transforms.warehouse.status import recent_failures, recent_runs

    unreadable = None
    try:
        runs = recent_runs(warehouse, limit)
    except Exception as exc:  # down, wrong login, or a notebook holds the DuckDB file for writing
        unreadable = as_fault(exc, warehouse)
        if unreadable is None:
            raise
        err.print(f"Cannot read the runs: {unreadable}", markup=False, highlight=False, soft_wrap=True)
        runs = []
    outside = unrecorded_runs(data_dir)  # failed while the warehouse was held: their folder says why
    for r in outside:
        runs = [x for x in runs if x["run_id"] != r["run_id"]]
        runs.append({**dict.fromkeys(("rows_read", "rows_loaded", "rows_quarantined", "files_failed")), **r})
    runs.sort(key=lambda r: str(r["started_at"]), reverse=True)
    runs = runs[:limit]
    if not runs:
        if unreadable is not None:
            raise typer.Exit(unreadable.exit_code)
        console.print("No runs recorded in this warehouse yet.")
        return
    table = Table(title="Recent runs")
    for col in ("run id", "as of", "status", "started (UTC)", "read", "loaded", "quarantined", "files failed"):
        table.add_column(col, overflow="fold")
    for r in runs:
        colour = {"succeeded": "green", "failed": "red", "running": "yellow"}.get(r["status"], "yellow")
        table.add_row(
            r["run_id"],
            str(r["as_of"]),
            f"[{colour}]{r['status']}[/{colour}]",
            str(r["started_at"])[:19],
            *(str(r[k]) if r[k] is not None else "" for k in ("rows_read", "rows_loaded", "rows_quarantined")),
            str(r["files_failed"] or ""),
        )
    console.print(table)
    outside_ids = {r["run_id"] for r in outside}
    recorded = [r for r in runs if r["run_id"] not in outside_ids]
    problems = recent_failures(warehouse, [r["run_id"] for r in recorded]) if unreadable is None else []
    with_task = {p["run_id"] for p in problems if p["kind"] == "task"}
    problems = [  # a run that failed outside any task: its process died, its folder could not be written
        {"run_id": r["run_id"], "what": "run", "message": r["message"]}
        for r in recorded
        if r["status"] == "failed" and r.get("message") and r["run_id"] not in with_task
    ] + problems
    problems += [
        {
            "run_id": r["run_id"],
            "what": "run (not in ops.run: the warehouse could not be written)",
            "message": r["message"],
        }
        for r in outside
    ]
    if problems:
        console.print("[bold]Failures[/bold]")
        for p in problems:
            console.print(f"  {p['run_id']} · {p['what']}: {p['message']}", markup=False, highlight=False)
    if unreadable is not None:
        raise typer.Exit(unreadable.exit_code)


@app.command("check-record")
@guarded
def check_record(
    file: Annotated[
        Path | None, typer.Argument(help="A JSON file with one record; default: read standard input.")
    ] = None,
    *,
    sources: Annotated[Path | None, typer.Option(help="The sources file (its quality.yml is used, if any).")] = None,
    source: Annotated[
        str | None, typer.Option(help="A source's name: the record then uses that source's column names.")
    ] = None,
    kind: Annotated[str, typer.Option(help="journal, spreadsheet or accounting_customers.")] = "spreadsheet",
) -> None:
    """Check one new record against the nightly rules before it is saved; prints JSON (exit 1: refuse to save).

    The record is one JSON object of field names and values, e.g.
    {"surname": "Nowak", "given_name": "Jan", "phone": "+48 601 234 567", "email": "jan@wp.pl"}.

    \b
    Fields (spreadsheet and accounting_customers): given_name, surname, patronymic, full_name, sex,
    date_of_birth, phone, email, street, city, postcode, country, address, company, tax_id, customer_code,
    channel, last_updated, notes, reliability_note (spreadsheet only), responsible, and attributes.<name>
    (or "attributes": {...}). A journal record also takes interaction_at, interaction_type, complaint,
    survey_score, preferences and tags (not reliability_note). With --source, use that source's column headers.
    """
    from transforms.quality.entry import check_record_command

    raise typer.Exit(check_record_command(file, source, sources, kind))


@app.command()
@guarded
def match(
    record: Annotated[Path | None, typer.Argument(help="A JSON file with one record; default: standard input.")] = None,
    *,
    index: Annotated[Path | None, typer.Option(help="A match index folder (default: the latest run's).")] = None,
    run_dir: Annotated[Path | None, typer.Option(help="Use this run folder's match index.")] = None,
    data_dir: Annotated[Path, typer.Option(help="Where run folders are kept.")] = Path(DEFAULT_DATA_DIR),
    warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse.")] = DEFAULT_WAREHOUSE,
    limit: Annotated[int, typer.Option(min=1, help="How many customers to list at most.")] = 5,
) -> None:
    """Which existing customers a new record probably duplicates, with probabilities (JSON), by the nightly model."""
    from transforms.linkage.match_command import match_command

    raise typer.Exit(match_command(record, index, run_dir, data_dir, limit, warehouse_url=warehouse))


@app.command("export-segment")
@guarded
def export_segment(
    segment: Annotated[str, typer.Argument(help="A segment's id or name, or a rule segment's name (segments.yml).")],
    *,
    out: Annotated[Path, typer.Option(help="The file to write.")],
    fmt: Annotated[str, typer.Option("--format", help="csv or xlsx.")] = "csv",
    without_personal_data: Annotated[
        bool, typer.Option("--without-personal-data", help="Leave out names, phones, e-mails, addresses, birth dates.")
    ] = False,
    warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse.")] = DEFAULT_WAREHOUSE,
) -> None:
    """Export one segment's customers for a campaign (CSV or xlsx)."""
    from transforms.segments.export import export_segment_command

    raise typer.Exit(export_segment_command(segment, out, fmt, without_personal_data, warehouse))


@app.command("console")
@guarded
def console_command(
    *,
    warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse.")] = DEFAULT_WAREHOUSE,
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8765,
    host: Annotated[
        str, typer.Option(help="Address to listen on; beyond 127.0.0.1 only with CRM_CONSOLE_PASSWORD set.")
    ] = "127.0.0.1",
    data_dir: Annotated[
        Path, typer.Option(help="Where run folders are kept (the night's model, for the evidence waterfall).")
    ] = Path(DEFAULT_DATA_DIR),
    steward: Annotated[
        str | None, typer.Option(help="Who decides (stored with each decision); default your login name.")
    ] = None,
) -> None:
    """The data steward's console in the browser: review queue, customer pages, data-quality queue."""
    import getpass

    from transforms.console.server import ConsoleRefusedError, check_warehouse, console_config, serve

    try:
        config = console_config(
            warehouse_url=warehouse, host=host, data_dir=data_dir, steward=steward or getpass.getuser()
        )
    except ConsoleRefusedError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    check_warehouse(config)
    console.print(f"Steward's console on http://{host}:{port}/  (Ctrl+C to stop)", markup=False)
    serve(config, host=host, port=port)


review_app = typer.Typer(no_args_is_help=True, help="The data steward's review of doubtful matches.")
app.add_typer(review_app, name="review")


@review_app.command("import")
@guarded
def review_import(
    file: Annotated[Path, typer.Argument(help="A review workbook written by a nightly run, with decisions filled in.")],
    *,
    warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse.")] = DEFAULT_WAREHOUSE,
    reviewer: Annotated[str | None, typer.Option(help="Who decided; default the workbook's Reviewer line.")] = None,
) -> None:
    """Store a steward's match / not-a-match decisions; they hold in every later night."""
    from transforms.customers.decisions import store_decisions
    from transforms.customers.review import read_review_workbook
    from transforms.warehouse.engine import make_engine

    try:
        imported = read_review_workbook(file, decided_by=reviewer)
    except (OSError, ValueError) as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None
    for problem in imported.problems:
        err.print(problem, markup=False)
    engine = make_engine(warehouse)
    try:
        stored = store_decisions(engine, imported)
    finally:
        engine.dispose()
    console.print(
        f"Stored {stored} decision(s) from {file.name}; {imported.undecided} pair(s) left undecided"
        + (f"; {len(imported.problems)} row(s) skipped (see above)." if imported.problems else ".")
    )
    if imported.problems:
        raise typer.Exit(EXIT_REFUSED)


warehouse_app = typer.Typer(no_args_is_help=True, help="Access to the warehouse: roles and the analysts' extract.")
app.add_typer(warehouse_app, name="warehouse")


@warehouse_app.command("roles")
@guarded
def warehouse_roles(
    *, warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the PostgreSQL warehouse.")] = DEFAULT_WAREHOUSE
) -> None:
    """Create or update the roles crm_loader, crm_steward and crm_analyst (PostgreSQL; see docs/access.md)."""
    from transforms.warehouse.access import AccessError, apply_roles_command

    try:
        console.print(apply_roles_command(warehouse), markup=False)
    except AccessError as exc:
        err.print(str(exc), markup=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@warehouse_app.command("extract")
@guarded
def warehouse_extract(
    *,
    out: Annotated[Path, typer.Option(help="The DuckDB file to write for analysts.")],
    warehouse: Annotated[str, typer.Option(help="SQLAlchemy URL of the warehouse.")] = DEFAULT_WAREHOUSE,
) -> None:
    """Write a DuckDB file of the marts and analyst views only: no names, phones, e-mails, addresses, birth dates."""
    from transforms.warehouse.extract import analyst_extract_command

    console.print(analyst_extract_command(warehouse, str(out)), markup=False)


def main() -> None:
    """Entry point for `python -m transforms.cli`."""
    from transforms.warehouse.teardown import quiet_duckdb_teardown

    quiet_duckdb_teardown()
    app()


if __name__ == "__main__":
    main()
