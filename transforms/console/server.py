"""Start the console (``crm-etl console``): on 127.0.0.1 unless told otherwise, and then only behind a password."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from transforms.console import store
from transforms.console.app import ConsoleConfig, create_app

PASSWORD_VARIABLE = "CRM_CONSOLE_PASSWORD"
LOOPBACK_NAMES = frozenset({"127.0.0.1", "localhost", "::1"})


class ConsoleRefusedError(ValueError):
    """The console would listen beyond this machine without a password."""


def is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def console_config(
    *,
    warehouse_url: str,
    host: str,
    data_dir: Path | None,
    steward: str,
    password: str | None = None,
    public_names: tuple[str, ...] = (),
) -> ConsoleConfig:
    """The console's settings; refuses a host beyond loopback without a password."""
    password = password if password is not None else os.environ.get(PASSWORD_VARIABLE) or None
    if not is_loopback(host) and not password:
        raise ConsoleRefusedError(
            f"--host {host} would let other machines reach customers' personal data: set a password in "
            f"{PASSWORD_VARIABLE} (and prefer an HTTPS proxy in front), or keep the default 127.0.0.1"
        )
    hosts = ("127.0.0.1", "localhost", "[::1]") if is_loopback(host) else ("*",)
    return ConsoleConfig(
        warehouse_url=warehouse_url,
        data_dir=data_dir,
        steward=steward,
        password=password,
        allowed_hosts=(*hosts, *public_names),
    )


def check_warehouse(config: ConsoleConfig) -> None:
    """Connect once before serving (PostgreSQL), so that a server that is down, a wrong login or database fails
    now, in one line, rather than on every page. A DuckDB file is not opened here: the nightly run may hold it,
    and the console answers "busy" until it lets go."""
    if make_url(config.warehouse_url).get_backend_name() == "duckdb":
        return
    engine = store.console_engine(config.warehouse_url, role=config.role)
    try:
        with engine.connect() as conn:
            conn.execute(text("select 1"))
    finally:
        engine.dispose()


def serve(config: ConsoleConfig, *, host: str, port: int) -> None:
    """Serve the console until interrupted."""
    import uvicorn

    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", access_log=False)
