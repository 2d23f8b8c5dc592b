"""A night's own processes wait for each other on the DuckDB warehouse; ``--lock-wait`` only bounds the wait for
somebody else's process (a notebook, another night)."""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import text

from tests.support import hold_warehouse
from transforms.warehouse.engine import NIGHT_PROCESS_ENV, WarehouseLockedError, held_by_this_night, make_engine

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process names are set on Linux")


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(NIGHT_PROCESS_ENV, raising=False)
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    return path


@linux_only
def test_a_stage_process_of_this_night_is_waited_for_whatever_the_lock_wait(warehouse: Path) -> None:
    for proc in hold_warehouse(warehouse, name="crm-etl validat", seconds=3):
        assert held_by_this_night(proc.pid)
        started = time.monotonic()
        engine = make_engine(f"duckdb:///{warehouse}", lock_wait=0)
        try:
            with engine.connect() as conn:
                assert conn.execute(text("select 1")).scalar() == 1
        finally:
            engine.dispose()
        assert time.monotonic() - started >= 1  # it waited for the stage's process to let go


def test_another_process_is_waited_for_only_as_long_as_asked(warehouse: Path) -> None:
    for proc in hold_warehouse(warehouse, seconds=60):
        assert not held_by_this_night(proc.pid)
        engine = make_engine(f"duckdb:///{warehouse}", lock_wait=0)
        started = time.monotonic()
        with pytest.raises(WarehouseLockedError, match=rf"held by process {proc.pid} .*waited 0 s"):
            engine.connect()
        engine.dispose()
        assert time.monotonic() - started < 10


def test_a_stage_process_waits_for_the_night_that_started_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(NIGHT_PROCESS_ENV, str(os.getppid()))  # as in a stage's process: the night is its parent
    assert held_by_this_night(os.getppid())
    assert not held_by_this_night(1)
