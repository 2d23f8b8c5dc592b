"""The DAG, run for real through `airflow dags test` (the CLI code path `make demo` uses).

An isolated Airflow home, generated sample data and a DuckDB warehouse, all in a temp folder;
then the warehouse is checked: every file reconciles and the run is recorded as succeeded.
"""

from __future__ import annotations

import json
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

# One worker runs the whole module (make test's --dist loadfile), so its Airflow run is made once.
pytestmark = [pytest.mark.airflow]

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAG_ID = "nightly_consolidation"
# Any night: the DAG has no start_date (so that unpausing it does not start a past night).
LOGICAL_DATE = "2025-06-30"
# Another Airflow run (another run id) of the same night: as_of is given in the run's conf.
SECOND_LOGICAL_DATE = "2025-07-01"
# One line each in the run report (a task mapped over the night's files: one line for all its files).
TASKS = [
    "prepare_run",
    "night_files",
    "extract_file",
    "extract",
    "standardize_file",
    "standardize",
    "validate_file",
    "validate",
    "link",
    "receivables",
    "segments",
    "publish",
    "report",
    "summarize",
]


def _run(cmd: list[str], *, env: dict[str, str], log: Path, timeout: int) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        cmd, check=False, cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=timeout
    )
    log.write_text(f"$ {' '.join(cmd)}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr}")
    return result


def _tail(result: subprocess.CompletedProcess[str], lines: int = 80) -> str:
    out = (result.stdout + "\n" + result.stderr).splitlines()
    return "\n".join(out[-lines:])


@pytest.fixture(scope="module")
def dag_run(tmp_path_factory: pytest.TempPathFactory, airflow_env: Any, venv_script: Any) -> SimpleNamespace:
    tmp = tmp_path_factory.mktemp("dag_e2e")
    sample, data = tmp / "sample", tmp / "data"
    warehouse_url = f"duckdb:///{data / 'warehouse.duckdb'}"
    conf = {"as_of": LOGICAL_DATE, "sources": str(sample / "sources.yml"), "data_dir": str(data)}
    conf["warehouse_url"] = warehouse_url
    env = airflow_env(
        tmp / "airflow_home",
        CRM_SOURCES=conf["sources"],
        CRM_DATA_DIR=conf["data_dir"],
        CRM_WAREHOUSE_URL=warehouse_url,
        CRM_TASK_RETRIES="0",
    )

    # Independent and ~10 s each: generate the data while Airflow creates its metadata DB.
    gen_cmd = [venv_script("crm-etl"), "generate", "--out", str(sample), "--customers", "300", "--seed", "7"]
    with ThreadPoolExecutor(max_workers=2) as pool:
        gen_job = pool.submit(_run, gen_cmd, env=env, log=tmp / "generate.log", timeout=180)
        migrate_job = pool.submit(
            _run, [venv_script("airflow"), "db", "migrate"], env=env, log=tmp / "migrate.log", timeout=180
        )
        gen, migrate = gen_job.result(), migrate_job.result()
    assert gen.returncode == 0, _tail(gen)
    assert migrate.returncode == 0, _tail(migrate)

    test = _run(
        [venv_script("airflow"), "dags", "test", DAG_ID, LOGICAL_DATE, "-c", json.dumps(conf)],
        env=env,
        log=tmp / "dags_test.log",
        timeout=600,  # 44 tasks (the file-by-file ones once per file), on 2 shared cores
    )
    report = _run(
        [sys.executable, "scripts/dag_run_report.py", DAG_ID, "--logical-date", LOGICAL_DATE],
        env=env,
        log=tmp / "report.log",
        timeout=120,
    )
    return SimpleNamespace(
        test=test, report=report, data=data, sample=sample, warehouse=data / "warehouse.duckdb", tmp=tmp
    )


def _airflow_run_id(report: subprocess.CompletedProcess[str]) -> str:
    first = report.stdout.splitlines()[0]  # "DAG run <run_id>: <state>"
    assert first.startswith("DAG run "), report.stdout
    return first[len("DAG run ") :].rsplit(":", 1)[0]


def test_airflow_dags_test_succeeds(dag_run: SimpleNamespace) -> None:
    assert dag_run.test.returncode == 0, _tail(dag_run.test)
    assert dag_run.report.returncode == 0, dag_run.report.stdout + dag_run.report.stderr
    lines = dag_run.report.stdout.splitlines()
    assert lines[0].endswith(": success"), lines[0]
    states = {line.split()[0]: line.split()[1] for line in lines[1 : 1 + len(TASKS)]}
    assert states == dict.fromkeys(TASKS, "success")


def test_summary_is_the_summarize_task_result(dag_run: SimpleNamespace) -> None:
    # dag_run_report.py prints the summarize task's XCom after the task lines.
    summary = "\n".join(dag_run.report.stdout.splitlines()[1 + len(TASKS) :]).strip()
    assert summary, dag_run.report.stdout
    assert _airflow_run_id(dag_run.report) in summary


def test_run_folder_is_keyed_by_the_airflow_run(dag_run: SimpleNamespace) -> None:
    run_files = list((dag_run.data / "runs").glob("*/run.json"))
    assert len(run_files) == 1, run_files


def test_warehouse_reconciles_every_file(dag_run: SimpleNamespace) -> None:
    import duckdb

    run_id = _airflow_run_id(dag_run.report)
    with duckdb.connect(str(dag_run.warehouse), read_only=True) as con:
        rows = con.execute(
            "select source_file, rows_read, rows_loaded, rows_quarantined from ops.reconciliation where run_id = ?",
            [run_id],
        ).fetchall()
        assert rows, "no reconciliation line for the run"
        for source_file, read, loaded, quarantined in rows:
            assert read == loaded + quarantined, (source_file, read, loaded, quarantined)
        assert sum(r[1] for r in rows) > 0

        status = con.execute("select status from ops.run where run_id = ?", [run_id]).fetchall()
        assert status == [("succeeded",)]


def test_warehouse_counts_match_the_generator_truth(dag_run: SimpleNamespace) -> None:
    import duckdb
    import pandas as pd

    truth = pd.read_parquet(dag_run.sample / "truth" / "rows.parquet")
    records = truth[truth["row_type"] == "record"]
    kinds = {
        "contact": ("journal", "spreadsheet", "accounting_customers"),
        "invoice": ("invoices",),
        "payment": ("payments",),
    }
    with duckdb.connect(str(dag_run.warehouse), read_only=True) as con:
        source_kind = dict(con.execute("select distinct source_name, source_kind from ops.reconciliation").fetchall())
        for table, wanted in kinds.items():
            expected = int(records["source_name"].map(source_kind).isin(wanted).sum())
            got = con.execute(f"select count(*) from staging.{table}").fetchone()[0]
            assert got == expected, (table, got, expected)
        quarantined = con.execute("select count(*) from staging.quarantine").fetchone()[0]
    assert quarantined == int((truth["row_type"] != "record").sum())


def test_cli_path_gives_the_same_tables_as_the_dag(dag_run: SimpleNamespace) -> None:
    from tests.support import table_checksums
    from transforms.pipeline import tasks

    cli_data = dag_run.tmp / "cli_data"
    tasks.run_all(
        sources=str(dag_run.sample / "sources.yml"),
        warehouse_url=f"duckdb:///{cli_data / 'warehouse.duckdb'}",
        as_of=LOGICAL_DATE,
        run_id="cli_run",
        data_dir=str(cli_data),
    )
    assert table_checksums(cli_data / "warehouse.duckdb") == table_checksums(dag_run.warehouse)


# Last in this module: it runs the night a second time in the module's warehouse.
def test_a_second_dag_run_of_the_night_leaves_every_table_as_one_run(
    dag_run: SimpleNamespace, airflow_env: Any, venv_script: Any
) -> None:
    """Airflow starting the scheduled run next to one triggered by hand: another Airflow run (another logical
    date, so another run id) of the same as-of date. Every table but the run log is as the first run left it."""
    import duckdb

    from tests.support import every_table_checksum

    once = every_table_checksum(dag_run.warehouse)
    env = airflow_env(
        dag_run.tmp / "airflow_home",
        CRM_SOURCES=str(dag_run.sample / "sources.yml"),
        CRM_DATA_DIR=str(dag_run.data),
        CRM_WAREHOUSE_URL=f"duckdb:///{dag_run.warehouse}",
        CRM_TASK_RETRIES="0",
    )
    conf = {"as_of": LOGICAL_DATE, "sources": str(dag_run.sample / "sources.yml"), "data_dir": str(dag_run.data)}
    conf["warehouse_url"] = f"duckdb:///{dag_run.warehouse}"
    again = _run(
        [venv_script("airflow"), "dags", "test", DAG_ID, SECOND_LOGICAL_DATE, "-c", json.dumps(conf)],
        env=env,
        log=dag_run.tmp / "dags_test_again.log",
        timeout=600,  # 44 tasks (the file-by-file ones once per file), on 2 shared cores
    )
    assert again.returncode == 0, _tail(again)
    with duckdb.connect(str(dag_run.warehouse), read_only=True) as con:
        runs = con.execute("select count(*), count(distinct as_of) from ops.run where status = 'succeeded'").fetchone()
    assert runs == (2, 1)  # two Airflow runs of one night
    twice = every_table_checksum(dag_run.warehouse)
    assert {t: (once.get(t), twice[t]) for t in twice if twice[t] != once.get(t)} == {}
