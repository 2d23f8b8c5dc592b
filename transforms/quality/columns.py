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
#: Who the failing row is about and at which level it was found: added to the failures above by
#: ``transforms.quality.customer_rows`` (``found_on``: source_row | golden_record).
CUSTOMER_COLUMNS = ["customer_id", "customer_name", "customer_code", "found_on"]
#: dq.failure as loaded: the failure and its customer.
DQ_FAILURE_COLUMNS = [*FAILURE_COLUMNS, *CUSTOMER_COLUMNS]
