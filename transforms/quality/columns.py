"""The columns of dq.failure and dq.metric, as every stage that reports failing values writes them.

Kept apart from the suites so that a stage reporting failures (receivables' reliability notes, the consolidated
customer suite) does not import Great Expectations.
"""

from __future__ import annotations

FAILURE_COLUMNS = [
    "source_name",
    "source_file",
    "sheet",
    "row_number",
    "record_id",
    "field",
    "rule",
    "severity",
    "value",
    "message",
    "responsible",
    "as_of",
    "run_id",
]
METRIC_COLUMNS = [
    "source_name",
    "field",
    "rule",
    "responsible",
    "severity",
    "checked",
    "failed",
    "completeness",
    "as_of",
    "run_id",
]
