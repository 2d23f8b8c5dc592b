"""The rule language: what analysts may write, and everything else refused before it reaches SQL."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.segments.columns import RULE_COLUMNS
from transforms.segments.expression import ExpressionError, compile_condition
from transforms.segments.rules import compile_rule_views
from transforms.segments.settings import load_segments_file
from transforms.settings.errors import SettingsError


@pytest.mark.parametrize(
    ("source", "sql"),
    [
        ("channel = 'radio'", "\"channel\" = 'radio'"),
        ("complaints_recent >= 2", '"complaints_recent" >= 2'),
        (
            "channel = 'radio' and (late_payment_risk > 0.5 or reliability_class in ('non_payer'))",
            '("channel" = \'radio\' and ("late_payment_risk" > 0.5 or "reliability_class" in (\'non_payer\')))',
        ),
        ("not mean_survey_score is null", '(not "mean_survey_score" is null)'),
        ("country not in ('PL', 'RU')", "\"country\" not in ('PL', 'RU')"),
        ("account_manager = 'O''Brien'", "\"account_manager\" = 'O''Brien'"),
        ("last_invoice_on < '2026-01-01'", "\"last_invoice_on\" < cast('2026-01-01' as date)"),
        ("CHANNEL != 'web' AND segment_id = 3", '("channel" <> \'web\' and "segment_id" = 3)'),
    ],
)
def test_compiles(source: str, sql: str) -> None:
    assert compile_condition(source, RULE_COLUMNS) == sql


@pytest.mark.parametrize(
    ("source", "why"),
    [
        ("channel = 'radio'; drop table core.customer", "cannot read"),
        ("channel = 'radio' -- comment", "cannot read"),
        ("chanel = 'radio'", "did you mean 'channel'"),
        ("complaints >= '2'", "is a number"),
        ("channel = 2", "holds text"),
        ("channel = 'radio", "cannot read"),
        ("channel", "expected a comparison"),
        ("(channel = 'radio'", r"expected '\)'"),
        ("1 = 1", "expected a column name"),
        ("", "empty"),
        ("channel = 'a' or", "expected a column name"),
        ("customer_id in (select customer_id from core.customer)", "cannot read"),
        ("customer_id in (select)", "expected a value"),
    ],
)
def test_refuses(source: str, why: str) -> None:
    with pytest.raises(ExpressionError, match=why):
        compile_condition(source, RULE_COLUMNS)


def test_bad_rule_names_file_and_key(tmp_path: Path) -> None:
    bad = tmp_path / "segments.yml"
    bad.write_text("rules:\n  - name: Bad Name\n    where: \"chanel = 'radio'\"\n", "utf-8")
    with pytest.raises(SettingsError) as err:
        load_segments_file(bad)
    text = str(err.value)
    assert str(bad) in text
    assert "rules[0].name" in text
    assert "rules[0].where" in text
    assert "did you mean 'channel'" in text


def test_model_settings_checked(tmp_path: Path) -> None:
    bad = tmp_path / "segments.yml"
    bad.write_text("model:\n  k_min: 8\n  k_max: 3\n  log_features: [surname]\n", "utf-8")
    with pytest.raises(SettingsError, match=r"model\.log_features"):
        load_segments_file(bad)


def test_views_for_both_dialects() -> None:
    settings = load_segments_file()
    for dialect in ("duckdb", "postgresql"):
        views = compile_rule_views(settings, dialect)
        assert [name for name, _ in views] == [f"marts.segment_{r.name}" for r in settings.rules]
        assert all(sql.startswith(f"create or replace view {name} as") for name, sql in views)
    with pytest.raises(ValueError, match="dialect"):
        compile_rule_views(settings, "oracle")
