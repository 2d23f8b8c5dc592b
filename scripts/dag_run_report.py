"""Report the latest run of a DAG from the Airflow metadata DB; exit 1 unless it succeeded.

    uv run python scripts/dag_run_report.py nightly_consolidation [--logical-date YYYY-MM-DD] [--after ISO]

Prints the run id and state, each task's state and duration, then the value the
``summarize`` task returned (its XCom). Used by ``make demo`` after
``airflow dags test``, whose exit code alone says nothing about which task failed.
Needs the same environment as the run (source scripts/airflow_env.sh).
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dag_id")
    parser.add_argument("--logical-date", help="YYYY-MM-DD (UTC midnight), as given to `airflow dags test`")
    parser.add_argument(
        "--after", help="ignore runs created before this UTC time (ISO 8601), e.g. when the demo started"
    )
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
        for ti in sorted(tis, key=lambda t: (t.start_date or far, t.task_id)):
            duration = f"{ti.duration:.1f}s" if ti.duration is not None else "-"
            print(f"  {ti.task_id:<14} {ti.state!s:<16} {duration:>8}  try {ti.try_number}")

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
