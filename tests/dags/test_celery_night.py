"""The night on Celery workers (scripts/celery_night.py): Redis as the broker, PostgreSQL as Airflow's metadata
database, two workers, the scheduler, the DAG processor and the API server on 127.0.0.1.

The DAG is triggered on a generated sample company; while it runs, `crm-etl run` does the same night in one
process into another warehouse. The files must have been spread over both workers, and both warehouses must
hold the same tables, history included.
"""

from __future__ import annotations

import importlib.util
import os
import re
import socket
import subprocess
import sys
import uuid
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

pytestmark = [pytest.mark.slow, pytest.mark.airflow, pytest.mark.postgres]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2025-06-30"
REDIS_URL = os.environ.get("CRM_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
POSTGRES_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MAPPED = ("extract_file", "standardize_file", "validate_file")


def _unavailable(what: str, url: str, exc: Exception) -> None:
    """Skip when the server is not there (a developer's machine); fail in CI, which starts both (.ci/run)."""
    message = f"{what} does not answer at {url} ({exc}): the night on Celery workers needs it (.ci/run starts it)"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def _servers_or_skip() -> None:
    import redis
    from sqlalchemy import create_engine, text

    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3, socket_timeout=3).ping()
    except redis.RedisError as exc:
        _unavailable("Redis", REDIS_URL, exc)
    engine = create_engine(POSTGRES_URL)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:
        _unavailable("PostgreSQL", POSTGRES_URL, exc)
    finally:
        engine.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def nights(tmp_path_factory: pytest.TempPathFactory, venv_script: Any) -> SimpleNamespace:
    """The night on Celery workers and the same night in one process, run side by side."""
    _servers_or_skip()
    tmp = tmp_path_factory.mktemp("celery_night")
    sample, celery_data, cli_data = tmp / "sample", tmp / "celery_data", tmp / "cli_data"
    crm_etl = venv_script("crm-etl")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRM_"))}
    subprocess.run(
        [crm_etl, "generate", "--out", str(sample), "--customers", "300", "--seed", "7"],
        check=True,
        capture_output=True,
        env=env,
        timeout=180,
    )
    database = f"airflow_celery_test_{uuid.uuid4().hex[:8]}"
    celery_cmd = [
        sys.executable,
        "scripts/celery_night.py",
        *("--sources", str(sample / "sources.yml"), "--data-dir", str(celery_data), "--as-of", AS_OF),
        *("--home", str(tmp / "airflow_home"), "--database", database, "--fresh", "--drop-after"),
        *("--postgres", POSTGRES_URL, "--redis", REDIS_URL),
        *("--port", str(_free_port()), "--log-port", str(_free_port()), "--timeout", "480"),
    ]
    cli_cmd = [crm_etl, "run", "--sources", str(sample / "sources.yml"), "--as-of", AS_OF, "--run-id", "one_process"]
    cli_cmd += ["--warehouse", f"duckdb:///{cli_data / 'warehouse.duckdb'}", "--data-dir", str(cli_data)]
    with (tmp / "celery_night.log").open("w") as log:
        celery = subprocess.Popen(celery_cmd, cwd=PROJECT_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        cli = subprocess.run(
            cli_cmd, check=False, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=600
        )
        try:
            celery.wait(timeout=600)
        except subprocess.TimeoutExpired:
            celery.terminate()  # the script stops what it started
            celery.wait(timeout=60)
    return SimpleNamespace(
        returncode=celery.returncode,
        output=(tmp / "celery_night.log").read_text("utf-8"),
        cli=cli,
        celery_warehouse=celery_data / "warehouse.duckdb",
        cli_warehouse=cli_data / "warehouse.duckdb",
        components=tmp / "airflow_home" / "logs" / "components",
        queue=f"crm_{database}",
    )


def test_the_night_succeeds_on_celery_workers(nights: SimpleNamespace) -> None:
    assert nights.returncode == 0, nights.output[-6000:]
    states = dict(re.findall(r"^  ([a-z_]+) +(\S+) ", nights.output, flags=re.MULTILINE))
    assert len(states) == 14 and set(states.values()) == {"success"}, states
    for task in MAPPED:
        assert re.search(rf"^  {task} .*\(11 files\)$", nights.output, flags=re.MULTILINE), task


def test_the_broker_keeps_nothing_of_the_night_after_it(nights: SimpleNamespace) -> None:
    import redis

    spec = importlib.util.spec_from_file_location("celery_night", PROJECT_ROOT / "scripts" / "celery_night.py")
    assert spec and spec.loader
    celery_night = sys.modules.setdefault("celery_night", importlib.util.module_from_spec(spec))
    spec.loader.exec_module(celery_night)
    broker = redis.Redis.from_url(REDIS_URL)
    assert nights.returncode == 0, nights.output[-3000:]
    assert broker.exists(*celery_night.queue_keys(nights.queue)) == 0


def test_the_files_were_spread_over_both_workers(nights: SimpleNamespace) -> None:
    for worker in ("worker-1", "worker-2"):
        log = (nights.components / f"{worker}.log").read_text("utf-8", errors="replace")
        ran = set(re.findall(r"Executing workload in Celery: .*?task_id='([a-z_]+)'", log))
        assert ran & set(MAPPED), (worker, ran)


def test_the_warehouse_is_the_one_process_night(nights: SimpleNamespace) -> None:
    from tests.support import every_table_checksum

    assert nights.cli.returncode == 0, nights.cli.stderr[-3000:]
    assert nights.returncode == 0, nights.output[-3000:]
    celery, one_process = every_table_checksum(nights.celery_warehouse), every_table_checksum(nights.cli_warehouse)
    assert {t: (celery.get(t), one_process.get(t)) for t in one_process if celery.get(t) != one_process[t]} == {}
    assert set(celery) == set(one_process)


def test_each_file_is_one_task_attempt_in_the_run_log(nights: SimpleNamespace) -> None:
    import duckdb

    with duckdb.connect(str(nights.celery_warehouse), read_only=True) as con:
        status = con.execute("select status from ops.run").fetchall()
        tasks = con.execute("select task, status from ops.task_run").fetchall()
    assert status == [("succeeded",)]
    assert {s for _, s in tasks} == {"succeeded"}
    for stage in MAPPED:
        assert sum(1 for t, _ in tasks if t.startswith(f"{stage} ")) == 11, stage
