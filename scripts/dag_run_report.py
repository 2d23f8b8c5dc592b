"""Report the latest run of a DAG from the Airflow metadata DB; exit 1 unless it succeeded.

    uv run python scripts/dag_run_report.py nightly_consolidation [--logical-date YYYY-MM-DD] [--after ISO]
        [--run-id RUN_ID]

Prints the run id and state, each task's state and duration (a task mapped over the
night's files on one line: its worst state, the time from its first file's start to
its last file's end, and the files that did not succeed below it), then the value the
``summarize`` task returned (its XCom). Used by ``make demo`` after
``airflow dags test``, whose exit code alone says nothing about which task failed.
Needs the same environment as the run (source scripts/airflow_env.sh; scripts/celery_night.py
calls it with the Celery setup's).
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

#: The state a task mapped over files shows when its instances differ: the first of these that one of them has.
WORST_FIRST = ("failed", "upstream_failed", "up_for_retry", "running", "queued", "scheduled", "skipped")


def task_line(task_id: str, tis: list[Any]) -> list[str]:
    """One line for a task (all its mapped instances together), then one per mapped instance that did not succeed."""
    states = [str(ti.state) for ti in tis]
    state = states[0] if len(set(states)) == 1 else next(s for s in (*WORST_FIRST, *states) if s in states)
    starts = [ti.start_date for ti in tis if ti.start_date]
    ends = [ti.end_date for ti in tis if ti.end_date]
    mapped = any(ti.map_index >= 0 for ti in tis)
    if mapped:
        duration = f"{(max(ends) - min(starts)).total_seconds():.1f}s" if starts and len(ends) == len(tis) else "-"
    else:
        duration = f"{tis[0].duration:.1f}s" if tis[0].duration is not None else "-"
    tries = max(ti.try_number for ti in tis)
    lines = [f"  {task_id:<16} {state:<16} {duration:>8}  try {tries}" + (f"  ({len(tis)} files)" if mapped else "")]
    if mapped:
        lines += [
            f"      {ti.state!s:<16} {ti.rendered_map_index or ti.map_index}"
            for ti in sorted(tis, key=lambda t: t.map_index)
            if str(ti.state) != "success"
        ]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument("--logical-date", help="YYYY-MM-DD (UTC midnight), as given to `airflow dags test`")
    parser.add_argument(
        "--after", help="ignore runs created before this UTC time (ISO 8601), e.g. when the demo started"
    )
    parser.add_argument("--run-id", help="this run (as given to `airflow dags trigger -r`)")
    parser.add_argument("--summary-task", default="summarize")
    args = parser.parse_args(argv)

    # Airflow imports are slow and configure logging: keep them out of --help.
    # (TID251 bans Airflow from transforms/; this operator script is Airflow tooling like dags/.)
    from airflow.models.dagrun import DagRun
    from airflow.models.taskinstance import TaskInstance
    from airflow.models.xcom import XComModel
    from airflow.utils.session import create_session
    from sqlalchemy import select

    with create_session() as session:
        query = select(DagRun).where(DagRun.dag_id == args.dag_id)
        if args.logical_date:
            day = datetime.strptime(args.logical_date, "%Y-%m-%d").replace(tzinfo=UTC)
            query = query.where(DagRun.logical_date == day)
        if args.run_id:
            query = query.where(DagRun.run_id == args.run_id)
        if args.after:
            after = datetime.fromisoformat(args.after.replace("Z", "+00:00"))
            query = query.where(DagRun.run_after >= (after if after.tzinfo else after.replace(tzinfo=UTC)))
        run = session.scalars(query.order_by(DagRun.run_after.desc()).limit(1)).first()
        if run is None:
            print(f"No matching run of {args.dag_id} in the Airflow metadata DB.", file=sys.stderr)
            return 1

        print(f"DAG run {run.run_id}: {run.state}")
        tis = session.scalars(
            select(TaskInstance).where(TaskInstance.dag_id == run.dag_id, TaskInstance.run_id == run.run_id)
        ).all()
        far = datetime.max.replace(tzinfo=UTC)
        by_task: dict[str, list[Any]] = defaultdict(list)
        for ti in tis:
            by_task[ti.task_id].append(ti)
        for task_id, group in sorted(
            by_task.items(), key=lambda item: (min((t.start_date or far) for t in item[1]), item[0])
        ):
            print("\n".join(task_line(task_id, group)))

        row = session.scalars(
            select(XComModel).where(
                XComModel.dag_id == run.dag_id,
                XComModel.run_id == run.run_id,
                XComModel.task_id == args.summary_task,
                XComModel.key == "return_value",
            )
        ).first()
        # A run whose logical date is before the DAG's start_date gets no task instance
        # at all and is marked "success" at once: that is not a successful night.
        succeeded = str(run.state) == "success" and bool(tis)
        if not tis:
            print(
                "  (no task instance: is the logical date before the DAG's start_date?)",
                file=sys.stderr,
            )
        if row is not None:
            print()
            print(XComModel.deserialize_value(row))
        elif succeeded:
            print(f"(task {args.summary_task!r} returned nothing)")
        if not succeeded:
            print(f"\nDAG run {run.run_id} did not succeed (state: {run.state}).", file=sys.stderr)
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
