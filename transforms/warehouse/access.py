"""Role-based access to a PostgreSQL warehouse: apply sql/access/roles.sql.

The script is the documented source of the roles (crm_loader, crm_steward, crm_analyst) and their
privileges; this module only runs it, after making sure every warehouse table and view exists so that
the grants cover them. It is idempotent: run it again after a schema change or a run made by another user.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sqlalchemy import Engine

from transforms.warehouse.ddl import ensure_schema
from transforms.warehouse.engine import make_engine, safe_url
from transforms.warehouse.sql_files import sql_root

log = logging.getLogger(__name__)

ROLES = ("crm_loader", "crm_steward", "crm_analyst")


class AccessError(RuntimeError):
    """Roles were asked of a warehouse that has none (DuckDB): use the analyst extract instead."""


def roles_script() -> Path:
    """sql/access/roles.sql."""
    return sql_root() / "access" / "roles.sql"


def apply_roles(engine: Engine) -> None:
    """Create the warehouse's tables and views if needed, then the roles and their privileges (one transaction).

    Needs a connection allowed to create roles and change owners (the database owner or a superuser).
    """
    if engine.dialect.name != "postgresql":
        raise AccessError(
            f"roles exist on PostgreSQL only, not on {engine.dialect.name}: give analysts an analyst extract "
            "(crm-etl warehouse extract) instead of the warehouse file"
        )
    ensure_schema(engine)
    script = roles_script().read_text("utf-8")
    with engine.begin() as conn:
        raw = conn.connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            cur.execute(script)
    log.info("roles %s applied to %s", ", ".join(ROLES), safe_url(engine.url.render_as_string(hide_password=False)))


def apply_roles_command(warehouse_url: str) -> str:
    """CLI: apply the roles script to the PostgreSQL warehouse at ``warehouse_url``; returns what was done."""
    engine = make_engine(warehouse_url)
    try:
        apply_roles(engine)
    finally:
        engine.dispose()
    return f"roles {', '.join(ROLES)} and their privileges applied to {safe_url(warehouse_url)} (see docs/access.md)"
