"""Start the console (``crm-etl console``): on 127.0.0.1 unless told otherwise, and then only behind a password."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path

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


def serve(config: ConsoleConfig, *, host: str, port: int) -> None:
    """Serve the console until interrupted."""
    import uvicorn

    uvicorn.run(create_app(config), host=host, port=port, log_level="warning", access_log=False)
