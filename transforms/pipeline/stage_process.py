"""Each stage of ``crm-etl run`` in a process of its own, so the night's peak memory is its largest stage's.

Why: a Python process hands little of what a stage freed back to the system (pandas' and Arrow's many
allocations leave its heap in pieces), so when one process runs every stage, each starts from the high-water mark
of the ones before: at 100,000 customers the link stage peaked at 2.9 GB inside the night's process and at
2.0 GB alone. A stage started in a fresh process (``spawn``: nothing of the parent's heap, threads or warehouse
connections is inherited) gives all its memory back when it ends. The cost is each process's imports, a second
or two a stage.

The parent stays the run's process in ops.run (``OWNED_RUNS``): a stage's process neither claims nor releases the
run. A stage's failure comes back to the parent with its message and, for a fault of the surroundings
(warehouse, folders), its exit code. A stage's process that dies without a word (killed, out of memory) cannot
record anything: the parent records the failure in its place (ops.task_run and ops.run), naming the stage and
the signal, and the night goes on to its report as after any failure.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import logging
import multiprocessing
import os
import signal
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.context import BaseContext

from transforms.faults import FaultError, as_fault
from transforms.log_setup import log_to
from transforms.pipeline.context import RunContext
from transforms.pipeline.tracking import OWNED_RUNS, record_lost_task
from transforms.warehouse import ops
from transforms.warehouse.engine import LOCK_WAIT_ENV, NIGHT_PROCESS_ENV

log = logging.getLogger(__name__)

#: Imported once by the server every stage's process is forked from, so that a stage starts in milliseconds
#: rather than in the seconds of importing its libraries again (pandas, Arrow, DuckDB, scikit-learn,
#: recordlinkage, phonenumbers, Great Expectations...). Only what starts no thread on import but the numerical
#: libraries' idle pools, which are made to survive a fork. Great Expectations alone takes 3 to 7 s to import,
#: and validate runs one process per file: on a night of 22 small files, validate took 92 s importing it in each
#: and 24 s with it here. Each stage's process then shows about 60 MB more resident memory, shared with the
#: server rather than its own.
PRELOAD = (
    "numpy",
    "pandas",
    "pyarrow.parquet",
    "sqlalchemy",
    "duckdb",
    "great_expectations",
    "transforms.quality.suites",
    "transforms.pipeline.tasks",
    *(
        f"transforms.pipeline.{stage}"
        for stage in (
            "extract_stage",
            "standardize_stage",
            "validate_stage",
            "link_stage",
            "receivables_stage",
            "segment_stage",
            "publish_stage",
            "report_stage",
        )
    ),
)

#: prctl's options (linux/prctl.h): a signal to the process when its parent dies; the process's name.
_PR_SET_PDEATHSIG = 1
_PR_SET_NAME = 15


def default_workers() -> int:
    """How many of the night's files ``crm-etl run`` works on at once by default: one per core, at most four, as
    each file's process holds its own memory."""
    return max(1, min(os.cpu_count() or 1, 4))


class StageFailedError(RuntimeError):
    """A stage failed in its own process; the message is the one its exception gave there."""


@dataclass(frozen=True)
class _Outcome:
    """What a stage's process sends back: nothing when the stage succeeded, else how it failed."""

    failed: bool = False
    message: str = ""
    #: The exit code of a fault of the surroundings (``FaultError``), None for any other failure.
    exit_code: int | None = None


def run_stage_in_process(task: str, run_dir: str, *args: str, verbose: bool = False) -> None:
    """Run one task of ``transforms.pipeline.tasks`` (a stage, one of a stage's files with its key in ``args``, or
    the report) on ``run_dir`` in a fresh process; raise as the task would have when it fails, or
    ``StageFailedError`` when its process dies."""
    context: BaseContext
    if "forkserver" in multiprocessing.get_all_start_methods():
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(list(PRELOAD))  # read once, when the night's first stage starts the server
    else:  # Windows: each stage imports its libraries itself
        context = multiprocessing.get_context("spawn")
    receive, send = context.Pipe(duplex=False)
    # Held open here until the stage's process is gone: if this process dies first, the stage's sees its end close.
    watched, alive = context.Pipe(duplex=False)
    started = ops.utcnow()
    process = context.Process(
        target=_run_stage,
        args=((task, *args), run_dir, verbose, send, watched),
        kwargs={"environment": _night_environment()},
        name=f"crm-etl {task}",
    )
    process.start()
    send.close()  # the child holds the only sending end: its death ends recv() with EOFError
    watched.close()
    outcome: _Outcome | None = None
    try:
        outcome = receive.recv()
    except EOFError:
        outcome = None
    finally:
        receive.close()
        if process.is_alive() and outcome is None:  # interrupted here: do not leave the stage running alone
            process.terminate()
        process.join()
        alive.close()
    if outcome is None:
        named = " ".join((task, *args))
        message = _lost(named, process.exitcode)
        record_lost_task(RunContext.load(run_dir), task=named, started=started, message=message)
        raise StageFailedError(message)
    if outcome.failed:
        if outcome.exit_code is not None:
            fault = FaultError(outcome.message)
            fault.exit_code = outcome.exit_code
            raise fault
        raise StageFailedError(outcome.message)


def _lost(task: str, exit_code: int | None) -> str:
    """Why a stage's process ended without a word, for ops.run and the operator."""
    if exit_code is not None and exit_code < 0:
        name = signal.Signals(-exit_code).name
        why = f"was stopped by {name}"
        if -exit_code == signal.SIGKILL:
            why += " (most often the system killing it when memory ran out)"
    else:
        why = f"ended with exit code {exit_code} without saying why"
    return f"the process running {task} {why}; nothing of this night was published. Run the night again"


def _night_environment() -> dict[str, str | None]:
    """What a stage's process must see of the night's process: its pid, and the warehouse wait it was given.
    Passed with each stage rather than inherited, since the server stages are forked from keeps the environment
    of the moment it started (in a long-lived process, such as a test session, an earlier night's)."""
    return {NIGHT_PROCESS_ENV: str(os.getpid()), LOCK_WAIT_ENV: os.environ.get(LOCK_WAIT_ENV)}


def _run_stage(
    call: tuple[str, ...],
    run_dir: str,
    verbose: bool,
    send: Connection,
    parent: Connection,
    *,
    environment: dict[str, str | None],
) -> None:
    """The stage's process: the task (``call``: its name, then what it takes after the run folder), then its
    outcome to the parent."""
    task, *args = call
    for name, value in environment.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value
    _as_child(task)
    threading.Thread(target=_stop_with, args=(parent,), name="stop with the night", daemon=True).start()
    _log_as_the_command_line(verbose)
    from transforms.pipeline import tasks

    ctx = RunContext.load(run_dir)
    OWNED_RUNS.add(ctx.run_id)  # the parent process runs the night and stays its process in ops.run
    try:
        getattr(tasks, task)(run_dir, *args)
    except Exception as exc:
        fault = as_fault(exc, ctx.warehouse_url)
        send.send(_Outcome(failed=True, message=str(fault or exc), exit_code=fault.exit_code if fault else None))
    else:
        send.send(_Outcome())
    finally:
        send.close()


def _stop_with(parent: Connection) -> None:
    """Stop this stage at once when the night's process dies (an operator's kill -9, or the system's when memory
    ran out): a stage must not go on writing to the warehouse for a night nobody waits for. The night's process
    never writes to ``parent``; it closes it only once this process has ended, so the read returns when it died."""
    with contextlib.suppress(EOFError, OSError):
        parent.recv()
    os.kill(os.getpid(), signal.SIGKILL)


def _as_child(task: str) -> None:
    """On Linux: named after its stage where ``top`` and ``ps`` show it (``crm-etl link``), and stopped when the
    server it was forked from dies."""
    if not sys.platform.startswith("linux"):
        return
    libc = ctypes.util.find_library("c")
    if libc:
        prctl = ctypes.CDLL(libc).prctl
        prctl(_PR_SET_NAME, f"crm-etl {task}".encode()[:15])
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


def _log_as_the_command_line(verbose: bool) -> None:
    """The parent's logging set-up is not inherited by a fresh process: the same one here."""
    from rich.console import Console

    log_to(Console(stderr=True, width=None if sys.stderr.isatty() else 160), verbose=verbose)
