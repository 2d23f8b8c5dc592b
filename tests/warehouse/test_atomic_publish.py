"""Nights after nights: publishing is atomic, history is pruned, ops keeps every run, the log holds no personal data.

Night 1 is the session's finished run (its warehouse copied). Night 2 runs every stage, then its publish is
killed with SIGKILL inside the publish transaction: a subprocess replaces transforms.warehouse.load.append_parquet
(in itself only) by one that loads a table, touches a marker file and sleeps; the test waits for the marker and
kills it. The previous night must be intact, and publishing again must recover. Night 3 follows normally, with
history.keep_nights = 1. The same kill is tried on PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from tests.support import PipelineRun
from tests.warehouse.conftest import (
    PUBLISHED_TABLES,
    SERVER_URL,
    PostgresWarehouse,
    as_role,
    scalar,
    table_checksums,
)
from transforms.pipeline import tasks
from transforms.warehouse.access import apply_roles

ROOT = Path(__file__).resolve().parents[2]
MARKER_WAIT_S = 600
KEEP_NIGHTS = 1

_SLOW_PUBLISH = """
import sys
import time
from pathlib import Path

import transforms.warehouse.load as load

real_append = load.append_parquet


def append_then_hang(conn, schema, table, parquet):
    rows = real_append(conn, schema, table, parquet)
    Path(sys.argv[2]).touch()
    time.sleep(3600)
    return rows


load.append_parquet = append_then_hang

from transforms.pipeline import tasks

tasks.publish(sys.argv[1])
"""


def _prepare_night(sources: Path, url: str, data_dir: Path, run_id: str, as_of: str) -> str:
    """Every task of a night before publish, in the pipeline's order; returns the run folder."""
    run_dir = tasks.prepare_run(
        sources=str(sources), warehouse_url=url, as_of=as_of, run_id=run_id, data_dir=str(data_dir)
    )
    for stage in tasks.STAGES[: tasks.STAGES.index("publish")]:
        getattr(tasks, stage)(run_dir)
    return run_dir


def _kill_while_publishing(run_dir: str, marker: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _SLOW_PUBLISH, run_dir, str(marker)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        waited = 0.0
        while not marker.exists():
            if proc.poll() is not None:
                err = proc.stderr.read().decode() if proc.stderr else ""
                pytest.fail(f"the publish ended before reaching the marker: {err[-2000:]}")
            if waited > MARKER_WAIT_S:
                pytest.fail("the publish never reached a table load")
            time.sleep(0.2)
            waited += 0.2
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert proc.returncode == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr:
            proc.stderr.close()


@dataclass
class KillStory:
    """What the warehouse looked like before, during (after the kill) and after recovery."""

    url: str
    night_1: str
    before: dict[str, str]
    after_kill: dict[str, str]
    facts_after_kill: dict[str, object] = field(default_factory=dict)
    facts_after_retry: dict[str, object] = field(default_factory=dict)


def _facts(url: str) -> dict[str, object]:
    return {
        "staging_runs": scalar(url, "select min(run_id) || ',' || max(run_id) from staging.contact"),
        "night_2_status": scalar(url, "select status from ops.run where run_id = 'night_2'"),
        "night_2_metrics": scalar(url, "select count(*) from dq.metric where run_id = 'night_2'"),
        "customers_run": scalar(url, "select max(run_id) from core.customer"),
    }


def _kill_and_retry(url: str, night_1: str, sources: Path, data_dir: Path, marker: Path) -> KillStory:
    before = table_checksums(url, PUBLISHED_TABLES)
    run_dir = _prepare_night(sources, url, data_dir, "night_2", "2026-11-21")
    _kill_while_publishing(run_dir, marker)
    story = KillStory(url, night_1, before, table_checksums(url, PUBLISHED_TABLES), _facts(url))
    tasks.publish(run_dir)
    story.facts_after_retry = _facts(url)
    return story


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))


@dataclass(frozen=True)
class DuckNights:
    story: KillStory
    log: str


@pytest.fixture(scope="module")
def duck_nights(pipeline_run: PipelineRun, tmp_path_factory: pytest.TempPathFactory) -> Iterator[DuckNights]:
    root = tmp_path_factory.mktemp("nights")
    sample = root / "sample"
    shutil.copytree(pipeline_run.sample_dir, sample, ignore=shutil.ignore_patterns("truth"))
    with (sample / "sources.yml").open("a", encoding="utf-8") as f:
        f.write(f"\nhistory:\n  keep_nights: {KEEP_NIGHTS}\n")
    shutil.copy(pipeline_run.warehouse_path, root / "warehouse.duckdb")
    url = f"duckdb:///{root / 'warehouse.duckdb'}"
    night_1 = str(scalar(url, "select max(run_id) from staging.contact"))
    handler = _Collect()
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    logger = logging.getLogger()
    level = logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        story = _kill_and_retry(url, night_1, sample / "sources.yml", root / "data", root / "publishing.marker")
        tasks.run_all(
            sources=str(sample / "sources.yml"),
            warehouse_url=url,
            as_of="2026-11-22",
            run_id="night_3",
            data_dir=str(root / "data"),
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
    yield DuckNights(story, "\n".join(handler.lines))


def _check_story(story: KillStory) -> None:
    assert story.after_kill == story.before, "a killed publish changed the previous night's tables"
    assert story.facts_after_kill["staging_runs"] == f"{story.night_1},{story.night_1}"
    assert story.facts_after_kill["night_2_status"] == "running"
    assert story.facts_after_kill["night_2_metrics"] == 0
    assert story.facts_after_retry["staging_runs"] == "night_2,night_2"
    assert story.facts_after_retry["night_2_status"] == "succeeded"
    assert story.facts_after_retry["night_2_metrics"]


def test_sigkill_while_publishing_leaves_the_previous_night_on_duckdb(duck_nights: DuckNights) -> None:
    _check_story(duck_nights.story)


def _nights_in(url: str, table: str) -> set[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {str(r[0]) for r in conn.execute(text(f"select distinct as_of from {table}"))}
    finally:
        engine.dispose()


def test_history_keeps_the_configured_nights_and_ops_keeps_every_run(duck_nights: DuckNights) -> None:
    url = duck_nights.story.url
    nights = ["2026-11-20", "2026-11-21", "2026-11-22"]
    last = dt.date.fromisoformat(nights[-1])
    kept = {n for n in nights if dt.date.fromisoformat(n) >= last - dt.timedelta(days=KEEP_NIGHTS)}
    assert kept == {"2026-11-21", "2026-11-22"}
    assert _nights_in(url, "dq.metric") == kept
    assert _nights_in(url, "dq.failure") <= kept and nights[-1] in _nights_in(url, "dq.failure")
    assert _nights_in(url, "ops.run") == set(nights)
    assert _nights_in(url, "ops.reconciliation") == set(nights)
    assert scalar(url, "select count(distinct run_id) from ops.task_run") == len(nights)
    assert scalar(url, "select count(*) from marts.published_night") == len(nights)


def test_no_personal_data_in_the_log(duck_nights: DuckNights, pipeline_run: PipelineRun) -> None:
    truth = pd.read_parquet(pipeline_run.sample_dir / "truth" / "customers.parquet")
    log = duck_nights.log.lower()
    assert "published run night_3" in log, "the log was not captured"
    full_names = (truth["given_name"].fillna("") + " " + truth["surname"].fillna("")).str.strip()
    latin = (truth["given_name_latin"].fillna("") + " " + truth["surname_latin"].fillna("")).str.strip()
    phones = truth["phone_e164"].dropna()
    values = {
        "full name": full_names[full_names.str.contains(" ")],
        "Latin full name": latin[latin.str.contains(" ")],
        "e-mail": truth["email"].dropna(),
        "phone": pd.concat([phones, phones.str.lstrip("+")]),
        "street": truth["street"].dropna(),
    }
    for kind, series in values.items():
        found = sorted({v for v in series.str.lower().unique() if len(v) >= 6 and v in log})
        assert not found, f"{len(found)} customer {kind}(s) in the log, e.g. {found[:3]}"


@pytest.mark.postgres
def test_sigkill_while_publishing_leaves_the_previous_night_on_postgres(
    postgres_warehouse: PostgresWarehouse, tmp_path: Path
) -> None:
    """Night 1 is a copy (template) of the session's PostgreSQL warehouse; night 2 is published as crm_loader."""
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    source = postgres_warehouse.url.rsplit("/", 1)[1]
    name = f"{source}_kill"
    try:
        with admin.connect() as conn:
            conn.execute(text(f'create database "{name}" template "{source}"'))
        url = SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
        engine = create_engine(url)
        try:
            apply_roles(engine)  # database-level grants are not copied with a template
        finally:
            engine.dispose()
        story = _kill_and_retry(
            as_role(url, "crm_loader"),
            postgres_warehouse.run_id,
            Path(str(scalar(url, "select sources_file from ops.run limit 1"))),
            tmp_path / "data",
            tmp_path / "publishing.marker",
        )
        _check_story(story)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()
