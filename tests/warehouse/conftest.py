"""Throw-away PostgreSQL databases on the local server, created and dropped by the tests, and helpers."""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, text

from tests.support import DATA_TABLES
from transforms.pipeline import tasks
from transforms.warehouse.access import apply_roles
from transforms.warehouse.engine import make_engine

SERVER_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")

#: Tables a night publishes (data and quality history) whose content the consistency tests compare.
PUBLISHED_TABLES = [*DATA_TABLES, "dq.failure", "dq.metric", "ops.reconciliation"]


@contextmanager
def fresh_database() -> Iterator[str]:
    """A new, empty database on the local server (dropped afterwards); skips when no server answers."""
    admin = create_engine(SERVER_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text("select 1"))
    except Exception as exc:  # the server is down or absent
        admin.dispose()
        if os.environ.get("CI"):
            raise
        pytest.skip(f"no PostgreSQL server at {SERVER_URL}: {exc}")
    name = f"crm_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'create database "{name}"'))
    try:
        yield SERVER_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'drop database if exists "{name}" with (force)'))
        admin.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """URL of a fresh database; skipped only when no server answers (CI starts one)."""
    with fresh_database() as url:
        yield url


def as_role(url: str, role: str) -> str:
    """The URL of a connection that acts as ``role`` from its start (what a production login does)."""
    return f"{url}?options=-crole%3D{role}"


@dataclass(frozen=True)
class PostgresWarehouse:
    """A PostgreSQL warehouse with the roles applied, loaded by one pipeline run made as crm_loader."""

    url: str
    run_id: str


@contextmanager
def night_loaded_as_loader(sources: Path, data_dir: Path, run_id: str) -> Iterator[str]:
    """A fresh database with the roles applied first, then one night loaded by crm_loader, as in production;
    yields the database's admin URL."""
    with fresh_database() as url:
        engine = make_engine(url)
        try:
            apply_roles(engine)
        finally:
            engine.dispose()
        tasks.run_all(
            sources=str(sources),
            warehouse_url=as_role(url, "crm_loader"),
            as_of="2026-11-20",
            run_id=run_id,
            data_dir=str(data_dir),
        )
        yield url


@pytest.fixture(scope="session")
def postgres_warehouse(sample_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[PostgresWarehouse]:
    """Roles first (on an empty database), then a night loaded by crm_loader, as in production."""
    with night_loaded_as_loader(sample_dir / "sources.yml", tmp_path_factory.mktemp("pg_data"), "pg_loader_run") as url:
        yield PostgresWarehouse(url, "pg_loader_run")


def table_checksums(url: str, tables: list[str]) -> dict[str, str]:
    """A checksum of each table's content, independent of row order, on any engine."""
    engine = make_engine(url)
    out = {}
    try:
        with engine.connect() as conn:
            for t in tables:
                frame = pd.read_sql(text(f"select * from {t}"), conn)
                frame = frame.reindex(sorted(frame.columns), axis=1).astype(str)
                rows = sorted("\x1f".join(values) for values in frame.itertuples(index=False, name=None))
                out[t] = hashlib.sha256("\n".join(rows).encode()).hexdigest() + f":{len(rows)}"
    finally:
        engine.dispose()
    return out


def scalar(url: str, sql: str) -> object:
    """One value from the warehouse."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(text(sql)).scalar()
    finally:
        engine.dispose()
