"""The DAG file parses cleanly, cheaply, and says what it must (no task runs here)."""

from __future__ import annotations

import copy
import itertools
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

pytestmark = pytest.mark.airflow

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DAGS_DIR = PROJECT_ROOT / "dags"
DAG_ID = "nightly_consolidation"

STAGE_ORDER = [
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
#: The tasks mapped over the night's files (one task instance per file); the task after each combines them.
MAPPED = ("extract_file", "standardize_file", "validate_file")
EXPECTED_EDGES = (
    {("prepare_run", t) for t in ["night_files", *STAGE_ORDER]}
    | {("night_files", t) for t in MAPPED}
    | set(itertools.pairwise(STAGE_ORDER))
)


def test_dagbag_has_no_import_errors(dagbag) -> None:  # type: ignore[no-untyped-def]
    assert dagbag.import_errors == {}
    assert list(dagbag.dags) == [DAG_ID]


def test_parsing_does_no_work(dagbag, crm_env: Path) -> None:  # type: ignore[no-untyped-def]
    # Parsing read the CRM_* defaults but created nothing: no data dir, no warehouse.
    assert sorted(p.name for p in crm_env.iterdir()) == []


_PARSE_PROBE = r"""
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("probe_dag", sys.argv[1])
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
heavy = ["pandas", "numpy", "duckdb", "pyarrow", "great_expectations", "recordlinkage",
         "sklearn", "transforms.pipeline", "transforms.pipeline.tasks"]
print(json.dumps({"loaded": [m for m in heavy if m in sys.modules],
                  "dag_id": module.DAG_ID}))
"""


def test_parsing_imports_no_heavy_module(crm_env: Path) -> None:
    # A fresh interpreter, so that nothing this test session imported can hide a top-level import.
    result = subprocess.run(
        [sys.executable, "-c", _PARSE_PROBE, str(DAGS_DIR / "nightly_consolidation.py")],
        check=False,
        cwd=PROJECT_ROOT,
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    probe = json.loads(result.stdout.strip().splitlines()[-1])
    assert probe == {"loaded": [], "dag_id": DAG_ID}
    assert sorted(p.name for p in crm_env.iterdir()) == []


def test_dag_metadata(dag) -> None:  # type: ignore[no-untyped-def]
    assert dag.doc_md and "nightly" in dag.doc_md.lower()
    assert dag.owner == "crm-data"
    assert set(dag.tags) >= {"crm", "nightly"}
    assert dag.catchup is False
    assert dag.max_active_runs == 1
    assert dag.timetable.expression == "0 2 * * *"
    assert dag.default_args["retries"] >= 1
    assert dag.default_args["retry_delay"] >= timedelta(minutes=1)
    for task in dag.tasks:
        assert task.retries >= 1, task.task_id
        assert task.owner == "crm-data", task.task_id


def test_task_graph_edges_are_pinned(dag) -> None:  # type: ignore[no-untyped-def]
    edges = {(t.task_id, d) for t in dag.tasks for d in t.downstream_task_ids}
    assert edges == EXPECTED_EDGES
    assert [t.task_id for t in dag.topological_sort()] == ["prepare_run", "night_files", *STAGE_ORDER]


def test_file_stages_are_mapped_over_the_night_files(dag) -> None:  # type: ignore[no-untyped-def]
    """Each file-by-file task runs once per file listed by night_files (so workers share the files), with the run
    folder as a fixed argument, and is named after its file in the grid."""
    from airflow.sdk.definitions.xcom_arg import PlainXComArg

    mapped = {t.task_id for t in dag.tasks if t.is_mapped}
    assert mapped == set(MAPPED)
    for task_id in MAPPED:
        task = dag.get_task(task_id)
        expanded = task.op_kwargs_expand_input.value
        assert set(expanded) == {"source_file"}, task_id
        assert isinstance(expanded["source_file"], PlainXComArg), task_id
        assert expanded["source_file"].operator.task_id == "night_files", task_id
        assert set(task.partial_kwargs["op_kwargs"]) == {"run_dir"}, task_id
        assert task.map_index_template == "{{ source_file }}", task_id


def test_only_the_report_runs_after_a_failure(dag) -> None:  # type: ignore[no-untyped-def]
    rules = {t.task_id: getattr(t.trigger_rule, "value", t.trigger_rule) for t in dag.tasks}
    assert rules.pop("report") == "all_done"
    assert set(rules.values()) == {"all_success"}


def test_params_defaults_follow_environment(dag, crm_env: Path) -> None:  # type: ignore[no-untyped-def]
    params = dag.params
    assert set(params.keys()) == {"as_of", "sources", "warehouse_url", "data_dir", "allow_older_night", "full_relink"}
    assert params["as_of"] is None
    assert params["allow_older_night"] is False
    assert params["full_relink"] is False
    assert params["sources"] == str(crm_env / "sources.yml")
    assert params["data_dir"] == str(crm_env / "data")
    assert params["warehouse_url"] == f"duckdb:///{crm_env / 'warehouse.duckdb'}"


def test_params_defaults_without_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("CRM_SOURCES", "CRM_DATA_DIR", "CRM_WAREHOUSE_URL"):
        monkeypatch.delenv(name, raising=False)
    from airflow.dag_processing.dagbag import DagBag

    params = DagBag(dag_folder=str(DAGS_DIR), safe_mode=False).dags[DAG_ID].params
    assert params["sources"] == str(PROJECT_ROOT / "sample_data" / "sources.yml")
    assert params["data_dir"] == str(PROJECT_ROOT / "data")
    assert params["warehouse_url"] == f"duckdb:///{PROJECT_ROOT / 'data' / 'warehouse.duckdb'}"


def test_the_dag_and_the_cli_default_to_the_same_paths(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One function gives both their defaults: a data folder set alone moves the warehouse with it, in both."""
    monkeypatch.delenv("CRM_SOURCES", raising=False)
    monkeypatch.delenv("CRM_WAREHOUSE_URL", raising=False)
    monkeypatch.setenv("CRM_DATA_DIR", str(tmp_path / "elsewhere"))
    from airflow.dag_processing.dagbag import DagBag

    params = DagBag(dag_folder=str(DAGS_DIR), safe_mode=False).dags[DAG_ID].params
    probe = "import transforms.cli as c; print(c.DEFAULT_SOURCES, c.DEFAULT_DATA_DIR, c.DEFAULT_WAREHOUSE, sep='\\n')"
    cli = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=dict(os.environ)
    ).stdout.split("\n")[:3]
    assert cli == [params["sources"], params["data_dir"], params["warehouse_url"]]
    assert params["warehouse_url"] == f"duckdb:///{tmp_path / 'elsewhere' / 'warehouse.duckdb'}"


@pytest.mark.parametrize("value", ["", "2024-06-30", None])
def test_as_of_param_accepts_empty_or_a_date(dag, value: str | None) -> None:  # type: ignore[no-untyped-def]
    assert copy.deepcopy(dag.params.get_param("as_of")).resolve(value) == value


def test_as_of_is_optional_in_the_trigger_form(dag) -> None:  # type: ignore[no-untyped-def]
    """The UI enables Trigger only when every param without "null" in its type is filled."""
    schema = dag.params.get_param("as_of").schema
    assert "null" in schema["type"]
    assert copy.deepcopy(dag.params.get_param("as_of")).resolve() is None


@pytest.mark.parametrize("now", ["2026-12-07T02:01:00", "2026-12-07T04:00:00", "2026-12-07T23:59:00"])
def test_unpausing_does_not_start_a_past_night(dag, now: str, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    """Whenever the DAG is unpaused, the first scheduled night is the next 02:00, not the one just past (shortly
    after 02:00 too, where Airflow's default would run it)."""
    import pendulum
    from airflow.serialization.decoders import decode_timetable
    from airflow.serialization.encoders import encode_timetable
    from airflow.timetables import trigger
    from airflow.timetables.base import TimeRestriction

    assert dag.catchup is False and dag.max_active_runs == 1
    assert dag.start_date is None  # with a start_date, run_immediately is ignored and the past 02:00 runs
    monkeypatch.setattr(trigger, "utcnow", lambda: pendulum.parse(now))
    scheduled = decode_timetable(encode_timetable(dag.timetable))  # as the scheduler reads it
    first = scheduled.next_dagrun_info(
        last_automated_data_interval=None, restriction=TimeRestriction(earliest=None, latest=None, catchup=False)
    )
    assert first is not None and first.run_after == pendulum.parse("2026-12-08T02:00:00")


def test_every_task_has_a_doc(dag) -> None:  # type: ignore[no-untyped-def]
    assert all(t.doc_md for t in dag.tasks), [t.task_id for t in dag.tasks if not t.doc_md]


@pytest.mark.parametrize("value", ["30/06/2024", "2024-6-30", "yesterday"])
def test_as_of_param_rejects_other_text(dag, value: str) -> None:  # type: ignore[no-untyped-def]
    from airflow.sdk.exceptions import ParamValidationError

    with pytest.raises(ParamValidationError):
        copy.deepcopy(dag.params.get_param("as_of")).resolve(value)


def _resolve_as_of():  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location("dag_module", DAGS_DIR / "nightly_consolidation.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._resolve_as_of


def test_as_of_resolution() -> None:
    resolve = _resolve_as_of()
    night = datetime(2024, 6, 30, 2, 0, tzinfo=UTC)
    run = SimpleNamespace(run_after=datetime(2024, 7, 1, 9, 30, tzinfo=UTC))
    # An explicit param wins.
    assert resolve("2023-01-31", {"data_interval_end": night, "dag_run": run}) == "2023-01-31"
    # Scheduled run: the data interval end.
    assert resolve("", {"data_interval_end": night, "logical_date": night, "dag_run": run}) == "2024-06-30"
    # Manual run without a logical date: when it was asked to run.
    assert resolve("", {"data_interval_end": None, "logical_date": None, "dag_run": run}) == "2024-07-01"
