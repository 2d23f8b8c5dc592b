"""A night's own processes wait for each other on the DuckDB warehouse; ``--lock-wait`` only bounds the wait for
somebody else's process (a notebook, another night)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from sqlalchemy import text

from transforms.warehouse.engine import NIGHT_PROCESS_ENV, WarehouseLockedError, held_by_this_night, make_engine

#: Holds the warehouse for writing for a while, under the name a stage's process carries on Linux when asked to.
HOLD = """
import ctypes, ctypes.util, sys, time, duckdb
if sys.argv[2] != "-":
    ctypes.CDLL(ctypes.util.find_library("c")).prctl(15, sys.argv[2].encode(), 0, 0, 0)
con = duckdb.connect(sys.argv[1])
print("holding", flush=True)
time.sleep(float(sys.argv[3]))
con.close()
time.sleep(60)
"""

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="process names are set on Linux")


@pytest.fixture
def warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.delenv(NIGHT_PROCESS_ENV, raising=False)
    path = tmp_path / "warehouse.duckdb"
    duckdb.connect(str(path)).close()
    return path


def _hold(path: Path, name: str, seconds: float) -> Iterator[subprocess.Popen[str]]:
    command = [sys.executable, "-c", HOLD, str(path), name, str(seconds)]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline().strip() == "holding"
    try:
        yield proc
    finally:
        proc.kill()
        proc.wait()


@linux_only
def test_a_stage_process_of_this_night_is_waited_for_whatever_the_lock_wait(warehouse: Path) -> None:
    for proc in _hold(warehouse, "crm-etl validat", 3):
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
    for proc in _hold(warehouse, "-", 60):
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
