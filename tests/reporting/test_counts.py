"""One definition of a failing value, labelled (source rows, golden records), in the report, trend and CLI."""

from __future__ import annotations

import json

import duckdb
import pandas as pd

from tests.support import PipelineRun
from transforms.pipeline.summary import format_summary
from transforms.reporting.measures import failure_totals, trend


def test_golden_failures_are_counted_once_per_customer_rule_and_field() -> None:
    failures = pd.DataFrame(
        {
            "severity": ["critical", "warning", "critical", "critical"],
            "found_on": ["source_row", "source_row", "golden_record", "golden_record"],
            "customer_id": ["C1", "C1", "C2", "C2"],  # one golden failure, two source rows behind it
            "rule": ["r", "r", "g", "g"],
            "field": ["phone", "email", "phone", "phone"],
        }
    )
    assert failure_totals(failures) == {
        "critical": 1, "warning": 1, "info": 0, "source_rows": 2, "golden_records": 1,
    }  # fmt: skip


def test_the_trend_counts_golden_records_apart() -> None:
    history = pd.DataFrame(
        {
            "as_of": ["2026-11-20"] * 3,
            "source_name": ["anna", "anna", "core.customer"],
            "rule": ["mandatory_field_missing", "email_format", "email_format"],
            "severity": ["critical", "warning", "warning"],
            "checked": [10, 10, 5],
            "failed": [2, 3, 4],
        }
    )
    (row,) = trend(history).to_dict("records")
    assert (row["critical"], row["warning"], row["failed"], row["golden"]) == (2, 3, 5, 4)


def test_report_trend_and_cli_count_the_same(pipeline_run: PipelineRun) -> None:
    with duckdb.connect(str(pipeline_run.warehouse_path), read_only=True) as con:
        source_rows, golden_with_rows = con.execute(
            "select count(*) filter (where found_on = 'source_row'), "
            "count(distinct case when found_on = 'golden_record' then customer_id || rule || field end) "
            "from dq.failure where run_id = 'test_run_1'"
        ).fetchone()
        metric_source, metric_golden = con.execute(
            "select sum(failed) filter (where source_name <> 'core.customer'), "
            "sum(failed) filter (where source_name = 'core.customer') from dq.metric where run_id = 'test_run_1'"
        ).fetchone()
    golden = metric_golden
    # A golden failure names the source rows asked to fix it; one that no row is asked to fix (a date of birth on
    # a customer known from accounting alone) is counted by the golden records' suite, not in dq.failure.
    assert 0 < golden_with_rows <= golden
    assert metric_source == source_rows, "dq.metric counts as dq.failure does"
    summary = json.loads((pipeline_run.run_dir / "publish" / "summary.json").read_text("utf-8"))
    text = format_summary(summary)
    assert f"{source_rows} failing values on source rows" in text
    assert f"{golden} on golden records" in text
    html = (pipeline_run.run_dir / "report" / "report.html").read_text("utf-8")
    assert f"{source_rows:,} on source rows" in html and f"{golden:,} on golden records" in html
    assert f'<td class="num">{source_rows}</td><td class="num">{golden}</td>' in html  # tonight in the trend
