"""Airflow fixtures. Importing Airflow writes airflow.cfg (and logs/) into AIRFLOW_HOME,
~/airflow by default: point it at a throwaway folder before anything imports Airflow."""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = PROJECT_ROOT / "dags"
DAG_ID = "nightly_consolidation"

_session_home = tempfile.mkdtemp(prefix="crm-airflow-home-")
atexit.register(shutil.rmtree, _session_home, ignore_errors=True)
os.environ["AIRFLOW_HOME"] = _session_home
os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(DAGS_DIR)
os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
os.environ["AIRFLOW__DATABASE__SQL_ALCHEMY_CONN"] = f"sqlite:///{_session_home}/airflow.db"


def _airflow_env(airflow_home: Path, **extra: str) -> dict[str, str]:
    """The environment `make demo` runs Airflow with (scripts/airflow_env.sh), in another home."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "CRM_"))}
    out = subprocess.run(
        ["bash", "-c", "source scripts/airflow_env.sh && env -0"],
        cwd=PROJECT_ROOT,
        env={**base, "CRM_AIRFLOW_HOME": str(airflow_home)},
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    env = dict(item.split("=", 1) for item in out.split("\0") if "=" in item)
    env.update(extra)
    return env


def _venv_script(name: str) -> str:
    """A console script of this environment (crm-etl, airflow), found next to the interpreter."""
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise FileNotFoundError(f"{path} missing: run `uv sync` (make setup)")
    return str(path)


@pytest.fixture(scope="session")
def airflow_env():  # type: ignore[no-untyped-def]
    """Callable: (airflow_home, **extra) -> the env of scripts/airflow_env.sh with that home."""
    return _airflow_env


@pytest.fixture(scope="session")
def venv_script():  # type: ignore[no-untyped-def]
    """Callable: console-script name -> its path in this environment."""
    return _venv_script


@pytest.fixture
def crm_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CRM_* defaults pointing into tmp_path (nothing there yet); production retries."""
    data_dir = tmp_path / "data"
    monkeypatch.setenv("CRM_DATA_DIR", str(data_dir))
    monkeypatch.setenv("CRM_SOURCES", str(tmp_path / "sources.yml"))
    monkeypatch.setenv("CRM_WAREHOUSE_URL", f"duckdb:///{tmp_path / 'warehouse.duckdb'}")
    monkeypatch.delenv("CRM_TASK_RETRIES", raising=False)
    monkeypatch.delenv("CRM_RETRY_DELAY_SECONDS", raising=False)
    return tmp_path


@pytest.fixture
def dagbag(crm_env: Path):  # type: ignore[no-untyped-def]
    from airflow.dag_processing.dagbag import DagBag

    return DagBag(dag_folder=str(DAGS_DIR), safe_mode=False)


@pytest.fixture
def dag(dagbag):  # type: ignore[no-untyped-def]
    assert not dagbag.import_errors, dagbag.import_errors
    return dagbag.dags[DAG_ID]
