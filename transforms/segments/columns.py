"""The columns of marts.customer_feature (and the segment columns beside them): the names rules may use.

Read from the table's SQL file, each with the kind of value a rule compares it with. Kept apart from the feature
code so that validating segments.yml does not import pandas.
"""

from __future__ import annotations

from transforms.lineage import RUN_STAMP
from transforms.segments.expression import ColumnKind
from transforms.warehouse.table_schemas import Kind, table_schema

#: The kind of a warehouse column as a rule compares it (a feature of another kind must be taught to rules first).
_RULE_KIND: dict[Kind, ColumnKind] = {"text": "text", "integer": "number", "float": "number", "date": "date"}


def _feature_columns() -> dict[str, ColumnKind]:
    table = table_schema("marts.customer_feature")
    out: dict[str, ColumnKind] = {}
    for col in table.columns:
        if col.name in RUN_STAMP:
            continue
        if col.kind not in _RULE_KIND:
            raise ValueError(f"{table.qualified}.{col.name}: segment rules cannot compare a {col.sql_type} column")
        out[col.name] = _RULE_KIND[col.kind]
    return out


#: Column -> kind, in the order of the warehouse table (the night's stamp left out).
FEATURE_COLUMNS: dict[str, ColumnKind] = _feature_columns()
#: Columns a rule may use besides the features: the customer's model segment of the night.
SEGMENT_COLUMNS: dict[str, ColumnKind] = {"segment_id": "number", "segment_name": "text"}
RULE_COLUMNS: dict[str, ColumnKind] = {**FEATURE_COLUMNS, **SEGMENT_COLUMNS}
#: Model inputs must be numbers (log/numeric groups) or text (categorical group).
NUMERIC_FEATURES = tuple(k for k, v in FEATURE_COLUMNS.items() if v == "number")
TEXT_FEATURES = tuple(k for k, v in FEATURE_COLUMNS.items() if v == "text" and k != "customer_id")
