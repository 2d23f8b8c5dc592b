"""The columns of dq.failure and dq.metric, as every stage that reports failing values writes them.

Read from the tables' SQL files (transforms.warehouse.table_schemas). Kept apart from the suites so that a stage
reporting failures (receivables' reliability notes, the consolidated customer suite) does not import Great
Expectations.
"""

from __future__ import annotations

from transforms.lineage import ROW_LOCATION, RUN_STAMP
from transforms.warehouse.table_schemas import columns, columns_except

#: Who the failing row is about and at which level it was found: added to the failures by
#: ``transforms.quality.customer_rows`` (``found_on``: source_row | golden_record).
CUSTOMER_COLUMNS = ["customer_id", "customer_name", "customer_code", "found_on"]
#: dq.failure as loaded: the failure and its customer.
DQ_FAILURE_COLUMNS = list(columns("dq.failure"))
#: dq.failure as a check writes it, before the customer is known.
FAILURE_COLUMNS = list(columns_except("dq.failure", CUSTOMER_COLUMNS))
METRIC_COLUMNS = list(columns("dq.metric"))
#: What a dq.metric row counts: values checked and values failing (completeness follows from them).
METRIC_COUNTS = ["checked", "failed"]
#: What a dq.metric row counts them for: source, field, rule, employee and the rule's severity.
METRIC_KEY = list(columns_except("dq.metric", (*METRIC_COUNTS, "completeness", *RUN_STAMP)))
#: The failing row: where it is, its record and who answers for it.
FAILING_ROW = [*ROW_LOCATION, "record_id", "responsible"]
