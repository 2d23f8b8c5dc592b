"""The columns of marts.customer_feature (and the segment columns beside them): the names rules may use.

Kept apart from the feature code so that validating segments.yml does not import pandas.
"""

from __future__ import annotations

from transforms.segments.expression import ColumnKind

#: Column -> kind, in the order of the warehouse table.
FEATURE_COLUMNS: dict[str, ColumnKind] = {
    "customer_id": "text",
    "channel": "text",
    "channel_as_written": "text",
    "account_manager": "text",
    "country": "text",
    "first_seen_on": "date",
    "tenure_days": "number",
    "completeness": "number",
    "record_count": "number",
    "source_count": "number",
    "invoices": "number",
    "invoices_per_year": "number",
    "invoices_recent": "number",
    "spend": "number",
    "avg_invoice_amount": "number",
    "spend_currency": "text",
    "avg_invoice_index": "number",
    "first_invoice_on": "date",
    "last_invoice_on": "date",
    "days_since_last_invoice": "number",
    "interactions": "number",
    "interactions_recent": "number",
    "activity_recent": "number",
    "calls": "number",
    "visits": "number",
    "last_interaction_on": "date",
    "days_since_last_interaction": "number",
    "days_since_last_call": "number",
    "days_since_last_visit": "number",
    "days_since_last_activity": "number",
    "complaints": "number",
    "complaints_recent": "number",
    "last_complaint_on": "date",
    "surveys": "number",
    "mean_survey_score": "number",
    "preferred_brands": "text",
    "preferred_categories": "text",
    "reliability_class": "text",
    "late_payment_risk": "number",
    "median_days_late": "number",
    "share_paid_on_time": "number",
}
#: Columns a rule may use besides the features: the customer's model segment of the night.
SEGMENT_COLUMNS: dict[str, ColumnKind] = {"segment_id": "number", "segment_name": "text"}
RULE_COLUMNS: dict[str, ColumnKind] = {**FEATURE_COLUMNS, **SEGMENT_COLUMNS}
#: Model inputs must be numbers (log/numeric groups) or text (categorical group).
NUMERIC_FEATURES = tuple(k for k, v in FEATURE_COLUMNS.items() if v == "number")
TEXT_FEATURES = tuple(k for k, v in FEATURE_COLUMNS.items() if v == "text" and k != "customer_id")
