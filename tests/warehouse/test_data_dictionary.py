"""Every table and view is described in its SQL file, and docs/warehouse.md is generated from them."""

from __future__ import annotations

from pathlib import Path

from transforms.warehouse.dictionary import read_objects, read_tables, read_views, render_dictionary

DOC = Path(__file__).resolve().parents[2] / "docs" / "warehouse.md"


def test_every_table_has_a_grain_a_comment_and_commented_columns() -> None:
    tables = read_tables()
    assert {f"{t.schema}.{t.name}" for t in tables} >= {
        "ops.run",
        "ops.task_run",
        "ops.reconciliation",
        "staging.contact",
        "core.customer",
    }
    for t in tables:
        assert t.comment, f"{t.schema}.{t.name} has no comment"
        assert t.grain.startswith("Grain:"), f"{t.file} does not state its grain"
        missing = [c.name for c in t.columns if not c.comment]
        assert not missing, f"{t.schema}.{t.name}: columns without a comment: {missing}"


def test_every_view_is_listed_with_its_columns_and_comments() -> None:
    views = read_views()
    assert {f"{v.schema}.{v.name}" for v in views} >= {"marts.customer_overview", "marts.completeness_by_manager"}
    for v in views:
        assert v.is_view and v.comment, f"{v.schema}.{v.name} has no comment"
        assert v.grain.startswith("Grain:"), f"{v.file} does not state its grain"
        assert v.columns, f"{v.schema}.{v.name}: no columns found"
        missing = [c.name for c in v.columns if not c.comment]
        assert not missing, f"{v.schema}.{v.name}: columns without a comment: {missing}"
        assert all(c.type for c in v.columns)


def test_the_data_dictionary_is_up_to_date() -> None:
    assert DOC.read_text("utf-8") == render_dictionary(read_objects()), (
        "docs/warehouse.md is stale: run `uv run python -m transforms.warehouse.dictionary`"
    )
