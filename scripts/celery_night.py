"""Run one night on Celery workers: start Airflow 3 with the CeleryExecutor, trigger the night, wait, stop.

    uv run python scripts/celery_night.py --sources sample_data/sources.yml --as-of 2026-11-20

Everything listens on 127.0.0.1: Redis (the broker, already running), PostgreSQL (Airflow's metadata database
and Celery's result backend, already running; the database is created when missing), then, started here, the API
server (Airflow 3's workers report to its execution API), the scheduler, the DAG processor and two Celery
workers taking one task at a time each. The night's files are spread over the workers (the DAG maps extract,
standardize and validate over them); every process shares one run folder (``--data-dir``), as machines would
share a mounted one (docs/scaling.md).

Prints each task's state and time (a task mapped over the files: from its first file's start to its last file's
end) and the night's summary, then stops what it started. Exit code 0 when the night succeeded, 1 when it
failed, 2 when Redis or PostgreSQL does not answer. Each component's log is in ``<home>/logs/components/``.
``--keep-running`` leaves everything up after the night, with the UI at http://127.0.0.1:<port>/, until Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from transforms.defaults import default_paths

ROOT = Path(__file__).resolve().parents[1]

DAG_ID = "nightly_consolidation"
FINISHED = ("success", "failed")


@dataclass
class Components:
    """The Airflow processes this script started, each in its own process group, stopped in reverse order."""

    logs: Path
    started: list[tuple[str, subprocess.Popen[bytes], IO[bytes]]] = field(default_factory=list)

    def start(self, name: str, cmd: Sequence[str], env: dict[str, str]) -> None:
        """Start one component, its output in logs/<name>.log."""
        out = (self.logs / f"{name}.log").open("wb")
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        self.started.append((name, proc, out))
        print(f"    started {name} (pid {proc.pid})", flush=True)

    def cpu_seconds(self) -> dict[str, float]:
        """CPU time each component has used so far, with its children (a worker's tasks)."""
        import psutil

        out = {}
        for name, proc, _ in self.started:
            try:
                root = psutil.Process(proc.pid)
                tree = [root, *root.children(recursive=True)]
                out[name] = sum(
                    t.user + t.system + t.children_user + t.children_system
                    for t in (p.cpu_times() for p in tree if p.is_running())
                )
            except psutil.Error:
                out[name] = float("nan")
        return out

    def dead(self) -> list[str]:
        """Components that have stopped on their own."""
        return [name for name, proc, _ in self.started if proc.poll() is not None]

    def stop(self, grace: float = 30.0) -> None:
        """SIGTERM each component's process group (a Celery worker finishes its task first), SIGKILL what is left."""
        for _, proc, _ in reversed(self.started):
            if proc.poll() is None:
                _signal_group(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + grace
        for _, proc, out in reversed(self.started):
            try:
                proc.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _signal_group(proc.pid, signal.SIGKILL)
                proc.wait(timeout=10)
            # the group's other processes (a task's supervisor) go with it
            _signal_group(proc.pid, signal.SIGKILL)
            out.close()

    def tail(self, lines: int = 30) -> str:
        """The end of every component's log, to see why a night did not finish."""
        parts = []
        for name, _, _ in self.started:
            text_lines = (self.logs / f"{name}.log").read_text("utf-8", errors="replace").splitlines()
            parts.append(f"--- {name} (last {lines} lines)\n" + "\n".join(text_lines[-lines:]))
        return "\n".join(parts)


def _signal_group(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pid, sig)


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


class UnavailableError(Exception):
    """Redis or PostgreSQL does not answer: nothing was started."""


def check_redis(url: str) -> None:
    """Fail in one line when the broker does not answer."""
    import redis

    try:
        redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        raise UnavailableError(f"Redis does not answer at {url} ({exc}): start it (redis-server)") from None


def ensure_database(server: str, name: str, *, fresh: bool) -> str:
    """The metadata database's URL; created when missing (dropped first when ``fresh``)."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            if fresh:
                conn.execute(text(f'drop database if exists "{name}" with (force)'))
            exists = conn.execute(text("select 1 from pg_database where datname = :n"), {"n": name}).scalar()
            if not exists:
                conn.execute(text(f'create database "{name}"'))
    except Exception as exc:
        first = (str(exc).splitlines() or [""])[0]
        raise UnavailableError(f"PostgreSQL does not answer at {_shown(server)} ({first})") from None
    finally:
        admin.dispose()
    return make_url(server).set(database=name).render_as_string(hide_password=False)


def queue_keys(queue: str) -> tuple[str, str, str]:
    """The broker's keys of one queue (its exchange is named after it): the list of waiting tasks and kombu's
    binding tables, which stay after the queue is empty."""
    return queue, f"_kombu.binding.{queue}", f"_kombu.binding_permanent.{queue}"


def forget_queue(url: str, queue: str) -> None:
    """Delete this setup's queue from the broker (its list and kombu's binding of it): a shared Redis keeps
    nothing of a night that is over. Other queues and keys are left alone."""
    import redis

    try:
        broker = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
        broker.delete(*queue_keys(queue))
    except redis.RedisError as exc:
        print(f"the broker's queue {queue} could not be deleted: {exc}", file=sys.stderr)


def drop_database(server: str, name: str) -> None:
    """Drop the metadata database (a test's own)."""
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
    finally:
        admin.dispose()


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


def airflow_env(args: argparse.Namespace, home: Path, metadata_url: str) -> dict[str, str]:
    """The environment of every component: scripts/airflow_env.sh's, then the Celery setup's."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRM_AIRFLOW"))}
    out = subprocess.run(
        ["bash", "-c", "source scripts/airflow_env.sh && env -0"],
        cwd=ROOT,
        env={**base, "CRM_AIRFLOW_HOME": str(home)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    api = f"http://127.0.0.1:{args.port}"
    env.update(
        {
            "AIRFLOW__CORE__EXECUTOR": "CeleryExecutor",
            "AIRFLOW__DATABASE__SQL_ALCHEMY_CONN": metadata_url,
            "AIRFLOW__CELERY__BROKER_URL": args.redis,
            "AIRFLOW__CELERY__RESULT_BACKEND": f"db+{metadata_url}",
            # One task at a time per worker: the stages are CPU-bound, one core each.
            "AIRFLOW__CELERY__WORKER_CONCURRENCY": "1",
            # A queue of this setup's own, so that nothing else on the broker takes its tasks.
            "AIRFLOW__OPERATORS__DEFAULT_QUEUE": f"crm_{args.database}",
            # Workers import the stages' libraries once, not in every task (scripts/crm_celery_config.py).
            "AIRFLOW__CELERY__CELERY_CONFIG_OPTIONS": "crm_celery_config.CELERY_CONFIG",
            "PYTHONPATH": os.pathsep.join(p for p in (str(ROOT / "scripts"), env.get("PYTHONPATH", "")) if p),
            "AIRFLOW__API__HOST": "127.0.0.1",
            "AIRFLOW__API__PORT": str(args.port),
            "AIRFLOW__API__BASE_URL": api,
            "AIRFLOW__CORE__EXECUTION_API_SERVER_URL": f"{api}/execution/",
            # Shared by every component: the scheduler signs each task's token, the API server checks it.
            "AIRFLOW__API_AUTH__JWT_SECRET": secrets.token_urlsafe(64),
            "AIRFLOW__API__SECRET_KEY": secrets.token_urlsafe(64),
            # A worker's task supervisor looks at its task every min_heartbeat_interval seconds; when the task's
            # sockets close before its process can be reaped, it notices the end only then (5 s by default, a
            # second file's task waiting behind each of the night's ~45 tasks). Once a second costs one small
            # request a second per running task.
            "AIRFLOW__WORKERS__MIN_HEARTBEAT_INTERVAL": "1",
            "AIRFLOW__LOGGING__WORKER_LOG_SERVER_PORT": str(args.log_port),
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_USERS": "admin:admin",
            "AIRFLOW__CORE__SIMPLE_AUTH_MANAGER_PASSWORDS_FILE": str(home / "ui_passwords.json"),
            "CRM_SOURCES": str(Path(args.sources).resolve()),
            "CRM_DATA_DIR": str(Path(args.data_dir).resolve()),
            "CRM_WAREHOUSE_URL": args.warehouse,
        }
    )
    return env


def run(cmd: Sequence[str], env: dict[str, str], log: Path, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    """Run one Airflow command to its end; its output goes to ``log``; raise with its tail when it fails."""
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    log.write_text(f"$ {' '.join(cmd)}\n{result.stdout}\n{result.stderr}", "utf-8")
    if result.returncode != 0:
        tail = "\n".join((result.stdout + result.stderr).splitlines()[-30:])
        raise RuntimeError(f"`{' '.join(cmd[1:4])}` failed (exit {result.returncode}; {log}):\n{tail}")
    return result


def wait_for(what: str, ready: Callable[[], bool], components: Components, timeout: float) -> None:
    """Poll ``ready()`` every second until true; stop early when a component died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready():
            return
        if dead := components.dead():
            raise RuntimeError(f"{', '.join(dead)} stopped while waiting for {what}")
        time.sleep(1)
    raise TimeoutError(f"{what}: not ready after {timeout:.0f} s")


def api_answers(port: int) -> bool:
    """The API server's health endpoint answers 200."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/monitor/health", timeout=3) as response:
            return bool(response.status == 200)
    except OSError:
        return False


def metadata_value(url: str, sql: str, **params: str) -> object:
    """One value from Airflow's metadata database (None while the table or row is not there yet)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql), params).scalar()
    except Exception:
        return None
    finally:
        engine.dispose()


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    defaults = default_paths()
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sources", default=defaults.sources, help="the sources file (default CRM_SOURCES)")
    p.add_argument("--data-dir", default=defaults.data_dir, help="the run folders, seen by every worker")
    p.add_argument("--warehouse", default=None, help="warehouse URL (default CRM_WAREHOUSE_URL, or in --data-dir)")
    p.add_argument("--as-of", default=dt.datetime.now(dt.UTC).date().isoformat(), help="the night (YYYY-MM-DD)")
    p.add_argument("--home", default=str(ROOT / "airflow_home" / "celery"), help="AIRFLOW_HOME of this setup")
    p.add_argument("--postgres", default="postgresql+psycopg2://postgres@127.0.0.1:5432/postgres", help="server")
    p.add_argument("--database", default="airflow_celery", help="Airflow's metadata database (created if missing)")
    p.add_argument("--fresh", action="store_true", help="drop and create the metadata database first")
    p.add_argument(
        "--drop-after", action="store_true", help="drop the metadata database and its broker queue at the end"
    )
    p.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="the Celery broker")
    p.add_argument("--workers", type=int, default=2, help="Celery workers (one task at a time each)")
    p.add_argument("--port", type=int, default=8091, help="the API server's port (the UI and the execution API)")
    p.add_argument("--log-port", type=int, default=8794, help="the first worker's log server port")
    p.add_argument("--timeout", type=float, default=1200, help="seconds to wait for the night")
    p.add_argument("--keep-running", action="store_true", help="leave everything up after the night (Ctrl-C)")
    args = p.parse_args(argv)
    if args.warehouse is None:
        given = os.environ.get("CRM_WAREHOUSE_URL")
        args.warehouse = given or f"duckdb:///{Path(args.data_dir).resolve() / 'warehouse.duckdb'}"
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    home = Path(args.home).resolve()
    logs = home / "logs" / "components"
    logs.mkdir(parents=True, exist_ok=True)
    try:
        check_redis(args.redis)
        metadata_url = ensure_database(args.postgres, args.database, fresh=args.fresh)
    except UnavailableError as exc:
        print(exc, file=sys.stderr)
        return 2
    # A SIGTERM (a test's timeout, a service manager) stops the components as Ctrl-C does.
    signal.signal(signal.SIGTERM, _interrupt)
    env = airflow_env(args, home, metadata_url)
    airflow = str(Path(sys.executable).parent / "airflow")
    components = Components(logs)
    started = time.monotonic()
    try:
        print(f"==> Airflow metadata database {args.database}: airflow db migrate", flush=True)
        run([airflow, "db", "migrate"], env, logs / "db-migrate.log")
        print(f"==> Starting Airflow with the CeleryExecutor ({args.workers} workers) in {home}", flush=True)
        components.start("api-server", [airflow, "api-server", "--port", str(args.port), "--workers", "1"], env)
        components.start("dag-processor", [airflow, "dag-processor"], env)
        components.start("scheduler", [airflow, "scheduler"], env)
        for i in range(1, args.workers + 1):
            worker = [airflow, "celery", "worker", "--celery-hostname", f"crm{i}@%h", "--concurrency", "1"]
            worker += ["--queues", env["AIRFLOW__OPERATORS__DEFAULT_QUEUE"], "--without-mingle", "--without-gossip"]
            components.start(f"worker-{i}", worker if i == 1 else [*worker, "--skip-serve-logs"], env)
        wait_for("the API server", lambda: api_answers(args.port), components, timeout=180)
        wait_for(
            f"the DAG {DAG_ID} to be parsed",
            lambda: metadata_value(metadata_url, "select 1 from dag where dag_id = :d", d=DAG_ID) is not None,
            components,
            timeout=180,
        )
        run([airflow, "dags", "unpause", DAG_ID], env, logs / "unpause.log")
        run_id = f"celery__{args.as_of}__{dt.datetime.now(dt.UTC):%Y%m%dT%H%M%S}"
        conf = {
            "as_of": args.as_of,
            "sources": env["CRM_SOURCES"],
            "data_dir": env["CRM_DATA_DIR"],
            "warehouse_url": args.warehouse,
        }
        run([airflow, "dags", "trigger", DAG_ID, "-r", run_id, "-c", json.dumps(conf)], env, logs / "trigger.log")
        print(f"==> Night {args.as_of} triggered: run {run_id} (UI: http://127.0.0.1:{args.port}/)", flush=True)
        triggered = time.monotonic()

        def state() -> object:
            return metadata_value(
                metadata_url, "select state from dag_run where dag_id = :d and run_id = :r", d=DAG_ID, r=run_id
            )

        wait_for(f"run {run_id}", lambda: state() in FINISHED, components, timeout=args.timeout)
        night = time.monotonic() - triggered
        report = subprocess.run(
            [sys.executable, "scripts/dag_run_report.py", DAG_ID, "--run-id", run_id],
            cwd=ROOT,
            env=env,
            capture_output=True,
            text=True,
            check=False,
        )
        print(report.stdout, report.stderr, sep="", flush=True)
        print(f"==> Run {run_id}: {state()} in {night:.0f} s from trigger to end ", end="")
        print(f"({time.monotonic() - started:.0f} s with start-up)", flush=True)
        cpu = components.cpu_seconds()
        print("    CPU seconds used: " + ", ".join(f"{n} {s:.0f}" for n, s in cpu.items()), flush=True)
        if args.keep_running and report.returncode == 0:
            print(f"==> Still running: http://127.0.0.1:{args.port}/ (login in {home / 'ui_passwords.json'}); Ctrl-C")
            while True:
                time.sleep(3600)
        return 0 if report.returncode == 0 else 1
    except KeyboardInterrupt:
        return 0 if args.keep_running else 1
    except (RuntimeError, TimeoutError) as exc:
        print(f"CELERY NIGHT FAILED: {exc}\n{components.tail()}", file=sys.stderr)
        return 1
    finally:
        print("==> Stopping the workers, the scheduler, the DAG processor and the API server", flush=True)
        components.stop()
        if args.drop_after:
            drop_database(args.postgres, args.database)
            forget_queue(args.redis, f"crm_{args.database}")


if __name__ == "__main__":
    sys.exit(main())
