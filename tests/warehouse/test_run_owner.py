"""ops.run names the process running a run's task, so that a killed task's run is marked failed by the next run.

A scheduler runs a night's files side by side: a task that ends must not clear the name of another still running.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from sqlalchemy import text

from transforms.warehouse import ops
from transforms.warehouse.engine import make_engine


def _owner(pid: int) -> dict[str, object]:
    return {"pid": pid, "host": "worker-host", "since": ops.utcnow()}


def test_a_task_ending_leaves_the_run_to_the_task_still_running(tmp_path: Path) -> None:
    engine = make_engine(f"duckdb:///{tmp_path / 'w.duckdb'}")
    try:
        ops.start_run(engine, run_id="r", as_of=dt.date(2026, 11, 20), sources_file="s.yml", warehouse="w")
        first, second = _owner(101), _owner(202)
        ops.claim_run(engine, run_id="r", owner=first)
        ops.claim_run(engine, run_id="r", owner=second)  # another file's task starts on another worker

        def named() -> object:
            with engine.connect() as conn:
                return conn.execute(text("select owner_pid from ops.run where run_id = 'r'")).scalar()

        ops.release_run(engine, run_id="r", owner=first)
        assert named() == 202
        ops.release_run(engine, run_id="r", owner=second)
        assert named() is None
    finally:
        engine.dispose()
