"""The analysts' rule views compile and run on PostgreSQL (in a schema of the test's own, dropped after)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import Engine, text

from transforms.segments.columns import FEATURE_COLUMNS
from transforms.segments.rules import compile_rule_views
from transforms.segments.settings import load_segments_file
from transforms.warehouse.engine import make_engine
from transforms.warehouse.sql_files import split_statements

SERVER_URL = os.environ.get("CRM_TEST_POSTGRES_URL", "postgresql+psycopg2://postgres@127.0.0.1:5432/test")
MARTS = Path(__file__).resolve().parents[2] / "sql" / "warehouse" / "marts"

pytestmark = pytest.mark.postgres


@pytest.fixture
def schema() -> Iterator[tuple[Engine, str]]:
    engine = make_engine(SERVER_URL)
    name = f"seg_test_{uuid.uuid4().hex[:8]}"
    with engine.begin() as conn:
        conn.execute(text(f"create schema {name}"))
    try:
        yield engine, name
    finally:
        with engine.begin() as conn:
            conn.execute(text(f"drop schema {name} cascade"))
        engine.dispose()


def _rows() -> pd.DataFrame:
    base = dict.fromkeys(FEATURE_COLUMNS)
    rows = [
        {**base, "customer_id": "A", "channel": "radio", "reliability_class": "non_payer", "complaints_recent": 0},
        {**base, "customer_id": "B", "channel": "radio", "reliability_class": "on_time", "complaints_recent": 3},
        {
            **base,
            "customer_id": "C",
            "channel": "web",
            "reliability_class": "slight_delay",
            "complaints_recent": 2,
            "avg_invoice_amount": 5000.0,
            "days_since_last_invoice": 400.0,
        },
    ]
    frame = pd.DataFrame(rows)
    counts = ("invoices", "invoices_recent", "interactions", "interactions_recent", "activity_recent")
    for col in (*counts, "calls", "visits", "invoices_per_year", "spend", "complaints", "surveys"):
        frame[col] = 0
    return frame.assign(as_of=pd.Timestamp("2026-11-20").date(), run_id="pg")


def test_rule_views_run_on_postgres(schema: tuple[Engine, str]) -> None:
    engine, name = schema
    settings = load_segments_file()
    with engine.begin() as conn:
        for table in ("customer_feature", "customer_segment"):
            for stmt in split_statements((MARTS / f"{table}.sql").read_text("utf-8")):
                conn.exec_driver_sql(stmt.replace("marts.", f"{name}."))
        _rows().to_sql("customer_feature", conn, schema=name, if_exists="append", index=False)
        conn.execute(
            text(f"insert into {name}.customer_segment values ('A', 1, 'x', '2026-11-20', '2026-11-20', 'pg')")
        )
        for _, sql in compile_rule_views(settings, "postgresql"):
            conn.exec_driver_sql(sql.replace("marts.", f"{name}."))
        got = {
            rule.name: sorted(r[0] for r in conn.execute(text(f"select customer_id from {name}.segment_{rule.name}")))
            for rule in settings.rules
        }
        again = compile_rule_views(settings, "postgresql")[0][1].replace("marts.", f"{name}.")
        conn.exec_driver_sql(again)  # create or replace: running the night's views twice is fine
        segment = conn.execute(text(f"select segment_name from {name}.segment_radio_late_payers")).scalar()
    assert got == {"radio_late_payers": ["A"], "repeat_complainers": ["B", "C"], "lapsed_big_spenders": ["C"]}
    assert segment == "x"
