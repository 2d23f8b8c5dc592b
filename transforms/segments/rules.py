"""Analysts' rule-based segments (segments.yml ``rules``) compiled into views marts.segment_<name>.

Each view selects the customers of marts.customer_feature (with their model segment) that meet the rule's
condition. The condition was parsed and checked when segments.yml was loaded; the SQL is written from the
parsed tree, never from the analyst's text. The publish task runs the statements after the tables are loaded.
"""

from __future__ import annotations

from typing import Literal

from transforms.segments.settings import RuleSegment, SegmentSettings

Dialect = Literal["duckdb", "postgresql"]


def view_name(rule: RuleSegment) -> str:
    """The view of a rule: marts.segment_<name>."""
    return f"marts.segment_{rule.name}"


def rule_view_sql(rule: RuleSegment) -> str:
    """``create or replace view`` of one rule (the same text for DuckDB and PostgreSQL)."""
    return f"""create or replace view {view_name(rule)} as
with customer_feature as (
    select * from marts.customer_feature
),

customer_segment as (
    select customer_id, segment_id, segment_name from marts.customer_segment
),

features as (
    select
        customer_feature.*,
        customer_segment.segment_id,
        customer_segment.segment_name
    from customer_feature
    left join customer_segment on customer_segment.customer_id = customer_feature.customer_id
),

final as (
    select * from features
    where {rule.sql_condition}
)

select * from final"""


def compile_rule_views(settings: SegmentSettings, dialect: str) -> list[tuple[str, str]]:
    """(view name, SQL) of every rule of segments.yml, for ``dialect`` duckdb or postgresql."""
    if dialect not in ("duckdb", "postgresql"):
        raise ValueError(f"unknown SQL dialect {dialect!r}: use duckdb or postgresql")
    return [(view_name(rule), rule_view_sql(rule)) for rule in settings.rules]


def dialect_of(warehouse_url: str) -> Dialect:
    """The SQL dialect of a warehouse URL (postgresql+psycopg2://... or duckdb:///...)."""
    return "postgresql" if warehouse_url.startswith("postgres") else "duckdb"
