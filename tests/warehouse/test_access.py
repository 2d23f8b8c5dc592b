"""Role-based access on PostgreSQL: analysts read the marts and never a personal column; stewards write decisions.

The warehouse is loaded the production way: roles applied to an empty database, then a night run as crm_loader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import ProgrammingError

from tests.warehouse.conftest import PostgresWarehouse, as_role
from transforms.warehouse.access import AccessError, apply_roles
from transforms.warehouse.engine import make_engine
from transforms.warehouse.personal import PERSONAL_COLUMNS

pytestmark = pytest.mark.postgres


def _relations(conn: Connection, schema: str) -> list[str]:
    rows = conn.execute(
        text("select table_name from information_schema.tables where table_schema = :s order by 1"), {"s": schema}
    )
    return [f"{schema}.{r[0]}" for r in rows]


def _personal_columns(conn: Connection) -> list[tuple[str, str]]:
    rows = conn.execute(
        text(
            "select table_schema || '.' || table_name, column_name from information_schema.columns "
            "where table_schema in ('staging', 'core', 'marts', 'dq', 'ops')"
        )
    )
    return [(t, c) for t, c in rows if c in PERSONAL_COLUMNS]


def _denied(conn: Connection, sql: str) -> bool:
    """Whether the statement is refused for lack of privilege (the transaction is rolled back to a savepoint)."""
    try:
        with conn.begin_nested():
            conn.execute(text(sql))
    except ProgrammingError as exc:
        assert "permission denied" in str(exc), exc
        return True
    return False


def test_the_night_loaded_as_crm_loader(postgres_warehouse: PostgresWarehouse) -> None:
    engine = make_engine(postgres_warehouse.url)
    try:
        with engine.connect() as conn:
            status = conn.execute(
                text("select status from ops.run where run_id = :r"), {"r": postgres_warehouse.run_id}
            ).scalar()
            owners = conn.execute(
                text(
                    "select distinct tableowner from pg_tables "
                    "where schemaname in ('staging', 'core', 'marts', 'dq', 'ops')"
                )
            ).all()
            contacts = conn.execute(text("select count(*) from staging.contact")).scalar()
    finally:
        engine.dispose()
    assert status == "succeeded"
    assert owners == [("crm_loader",)]
    assert contacts and contacts > 0


def test_analyst_reads_the_marts_and_no_personal_column(postgres_warehouse: PostgresWarehouse) -> None:
    engine = make_engine(as_role(postgres_warehouse.url, "crm_analyst"))
    try:
        with engine.connect() as conn:
            marts = _relations(conn, "marts")
            assert {"marts.customer_overview", "marts.completeness_by_manager", "marts.published_night"} <= set(marts)
            for name in marts:
                conn.execute(text(f"select * from {name} limit 5")).all()
            published = conn.execute(text("select count(*) from marts.published_night")).scalar()
            assert published == 1
            assert conn.execute(text("select count(*) from marts.completeness_by_manager")).scalar()
            assert _denied(conn, "select count(*) from core.customer")
            assert _denied(conn, "select customer_id from core.customer")
            assert _denied(conn, "select count(*) from staging.contact")
            assert _denied(conn, "select count(*) from dq.failure")
            assert _denied(conn, "select count(*) from ops.run")
    finally:
        engine.dispose()


def test_analyst_is_refused_every_personal_column(postgres_warehouse: PostgresWarehouse) -> None:
    admin = make_engine(postgres_warehouse.url)
    try:
        with admin.connect() as conn:
            personal = _personal_columns(conn)
    finally:
        admin.dispose()
    assert ("core.customer", "email") in personal and ("staging.contact", "phone_e164") in personal
    assert not [t for t, _ in personal if t.startswith("marts.")], "a marts table or view holds a personal column"
    engine = make_engine(as_role(postgres_warehouse.url, "crm_analyst"))
    try:
        with engine.connect() as conn:
            allowed = [f"{t}.{c}" for t, c in personal if not _denied(conn, f"select {c} from {t} limit 1")]
    finally:
        engine.dispose()
    assert not allowed, f"the analyst can read personal columns: {allowed}"


def test_steward_writes_decisions_and_nothing_else(postgres_warehouse: PostgresWarehouse) -> None:
    engine = make_engine(as_role(postgres_warehouse.url, "crm_steward"))
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from core.customer")).scalar() is not None
            assert conn.execute(text("select count(email) from staging.contact")).scalar() is not None
            conn.execute(
                text(
                    "insert into core.match_decision (record_id_l, record_id_r, fingerprint_l, fingerprint_r, "
                    "is_match, decided_by, decided_at, workbook) values ('a', 'b', 'fa', 'fb', true, 'steward', "
                    "'2026-11-20 10:00', 'review.xlsx')"
                )
            )
            assert conn.execute(text("select count(*) from core.match_decision")).scalar() == 1
            assert _denied(
                conn,
                "insert into core.customer (customer_id, record_count, source_count, sources, completeness, as_of, "
                "run_id) values ('CUST-X', 1, 1, 's', 1, '2026-11-20', 'r')",
            )
            assert _denied(conn, "delete from staging.contact")
            assert _denied(conn, "delete from dq.metric")
            conn.rollback()
    finally:
        engine.dispose()


def test_tables_the_loader_creates_later_are_covered(postgres_warehouse: PostgresWarehouse) -> None:
    loader = make_engine(as_role(postgres_warehouse.url, "crm_loader"))
    try:
        with loader.begin() as conn:
            conn.execute(text("create table if not exists marts.added_later (segment_id integer)"))
            conn.execute(text("create table if not exists core.added_later (customer_id varchar)"))
    finally:
        loader.dispose()
    analyst = make_engine(as_role(postgres_warehouse.url, "crm_analyst"))
    steward = make_engine(as_role(postgres_warehouse.url, "crm_steward"))
    try:
        with analyst.connect() as conn:
            assert conn.execute(text("select count(*) from marts.added_later")).scalar() == 0
            assert _denied(conn, "select count(*) from core.added_later")
        with steward.connect() as conn:
            assert conn.execute(text("select count(*) from core.added_later")).scalar() == 0
    finally:
        analyst.dispose()
        steward.dispose()
        cleanup = make_engine(postgres_warehouse.url)
        with cleanup.begin() as conn:
            conn.execute(text("drop table marts.added_later"))
            conn.execute(text("drop table core.added_later"))
        cleanup.dispose()


def test_the_roles_script_can_run_again(postgres_warehouse: PostgresWarehouse) -> None:
    engine = make_engine(postgres_warehouse.url)
    try:
        apply_roles(engine)
        apply_roles(engine)
        with engine.connect() as conn:
            roles = conn.execute(
                text(
                    "select rolname from pg_roles where rolname like 'crm\\_%' and rolname in "
                    "('crm_loader', 'crm_steward', 'crm_analyst') order by 1"
                )
            ).all()
    finally:
        engine.dispose()
    assert [r[0] for r in roles] == ["crm_analyst", "crm_loader", "crm_steward"]


def test_roles_are_refused_on_duckdb(tmp_path: object) -> None:
    engine = make_engine("duckdb:///:memory:")
    try:
        with pytest.raises(AccessError, match="analyst extract"):
            apply_roles(engine)
    finally:
        engine.dispose()


def test_the_steward_role_imports_a_review_workbook(postgres_url: str, tmp_path: Path) -> None:
    """`crm-etl review import` as crm_steward uses the steward's rights: no schema is created, the decisions land."""
    from typer.testing import CliRunner

    from tests.cli.test_review_import import _workbook
    from transforms.cli import app

    engine = make_engine(postgres_url)
    try:
        apply_roles(engine)
    finally:
        engine.dispose()
    workbook = _workbook(tmp_path, ["match", "not a match"])
    steward = as_role(postgres_url, "crm_steward")
    result = CliRunner().invoke(app, ["review", "import", str(workbook), "--warehouse", steward])
    assert result.exit_code == 0, result.output
    assert "Stored 2 decision(s)" in result.output
    engine = make_engine(postgres_url)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("select count(*) from core.match_decision")).scalar() == 2
    finally:
        engine.dispose()


def test_a_refused_login_is_named_with_its_role(postgres_url: str, tmp_path: Path) -> None:
    """An analyst who tries to import decisions is told, in one line, which role lacks the right."""
    from typer.testing import CliRunner

    from tests.cli.test_review_import import _workbook
    from transforms.cli import app

    engine = make_engine(postgres_url)
    try:
        apply_roles(engine)
    finally:
        engine.dispose()
    workbook = _workbook(tmp_path, ["match", "not a match"])
    result = CliRunner().invoke(
        app, ["review", "import", str(workbook), "--warehouse", as_role(postgres_url, "crm_analyst")]
    )
    assert result.exit_code == 3, result.output
    assert "crm_analyst" in result.output and "permission denied" in result.output
    assert "Traceback" not in result.output
