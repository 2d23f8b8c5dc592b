"""Open the warehouse through SQLAlchemy: an embedded DuckDB file by default, PostgreSQL in production."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine
from sqlalchemy.engine import make_url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; a DuckDB file's folder is created on first use."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "duckdb" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    return create_engine(url, future=True)


def absolute_url(url: str) -> str:
    """A DuckDB URL with its file made absolute (``duckdb:///wh.duckdb`` is relative to the current folder)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "duckdb" or parsed.database in (None, "", ":memory:"):
        return url
    path = Path(parsed.database).expanduser().resolve()
    return parsed.set(database=str(path)).render_as_string(hide_password=False)


def safe_url(url: str) -> str:
    """The URL with any password hidden, for logs and the ops tables."""
    return make_url(url).render_as_string(hide_password=True)


def is_duckdb(engine: Engine) -> bool:
    """Whether the engine speaks to DuckDB (bulk loads then read Parquet directly)."""
    return engine.dialect.name == "duckdb"
