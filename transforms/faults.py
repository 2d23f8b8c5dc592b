"""Faults outside the data: a warehouse that cannot be reached or written, a folder or file that cannot be written.

They are not bugs and not bad rows, so the user needs one line that says what is wrong and what to do, never a
traceback of the driver. ``explain`` turns the exceptions these faults raise (the PostgreSQL driver's, DuckDB's,
the operating system's) into a ``FaultError`` with such a line, and the command line prints it and exits with the
fault's code (see README, "Exit codes"). Messages name hosts, databases, roles and paths, never a cell value.
"""

from __future__ import annotations

import errno
import re

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError

#: Exit codes of ``crm-etl`` (README, "Exit codes").
EXIT_OK = 0
EXIT_REFUSED = 1  # the answer is no: the night failed or was refused, the record is refused, nothing to show
EXIT_BAD_INPUT = 2  # the command line, the sources file or the input given cannot be used
EXIT_WAREHOUSE = 3  # the warehouse cannot be reached, logged into, written, or is held by another process
EXIT_FILES = 4  # a folder or file cannot be written or read (data folder, --out, disk full)


class FaultError(RuntimeError):
    """A fault of the surroundings (not of the data, not a bug): its message is the one line the user reads."""

    exit_code = EXIT_REFUSED


class WarehouseUnavailableError(FaultError):
    """The warehouse cannot be reached, logged into or written by this login."""

    exit_code = EXIT_WAREHOUSE


class PathNotWritableError(FaultError):
    """A folder or file the command must write cannot be written (permissions, read-only, missing, disk full)."""

    exit_code = EXIT_FILES


_FIRST_LINE = re.compile(r"^\s*(?:FATAL|ERROR):\s*", re.M)


def _where(url: str) -> str:
    """Host, port and database of a warehouse URL (no password, no login), or the DuckDB file."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "the warehouse"
    if parsed.get_backend_name() == "duckdb":
        return f"the warehouse file {parsed.database}"
    host = parsed.host or "localhost"
    port = f":{parsed.port}" if parsed.port else ""
    return f"the warehouse {parsed.get_backend_name()}://{host}{port}/{parsed.database or ''}"


def _database(url: str) -> str:
    try:
        return str(make_url(url).database or "")
    except ArgumentError:
        return ""


def _is_duckdb(url: str) -> bool:
    try:
        return make_url(url).get_backend_name() == "duckdb"
    except ArgumentError:
        return False


def _login(url: str) -> str:
    """The login of a URL, and the role it sets when it connects (``options=-crole=...``)."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return "(unknown login)"
    login = parsed.username or "(default login)"
    options = parsed.query.get("options", "")
    role = re.search(r"-c\s*role=(\w+)", options if isinstance(options, str) else " ".join(options))
    return f"{login} as {role.group(1)}" if role else login


def _driver_text(exc: BaseException) -> str:
    """The driver's own message, first meaningful line, without SQLAlchemy's SQL echo and link."""
    orig = getattr(exc, "orig", None) or exc
    text = str(orig)
    for raw in text.splitlines():
        line = _FIRST_LINE.sub("", raw).strip()
        if line:
            # psycopg2 puts "connection to server at ... failed: FATAL: ..." on one line: keep the reason.
            return re.sub(r"^connection to server at .*? failed:\s*(FATAL:\s*)?", "", line) or line
    return type(orig).__name__


def os_reason(exc: OSError) -> str:
    if exc.errno == errno.ENOSPC:
        return "the disk is full"
    if exc.errno == errno.EROFS:
        return "the file system is read-only"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied"
    if exc.errno == errno.ENOTDIR:
        return "a part of the path is a file, not a folder"
    if exc.errno == errno.EEXIST:
        return "a file of that name is in the way"
    if exc.errno == errno.ENOENT:
        return "a folder on the way does not exist"
    if exc.errno == errno.EISDIR:
        return "it is a folder"
    return exc.strerror or type(exc).__name__


def path_fault(exc: OSError, *, what: str, fix: str) -> PathNotWritableError:
    """``what`` (e.g. "the data folder /srv/data") could not be written because of ``exc``; ``fix`` says what to do."""
    name = exc.filename or ""
    at = f" ({name})" if name and str(name) not in what else ""
    return PathNotWritableError(f"cannot write {what}{at}: {os_reason(exc)}. {fix}")


def warehouse_fault(exc: BaseException, url: str) -> WarehouseUnavailableError | None:
    """The one line for a warehouse that cannot be used, or None when ``exc`` is not such a fault."""
    if isinstance(exc, WarehouseUnavailableError):
        return exc
    where = _where(url)
    if isinstance(exc, (NoSuchModuleError, ArgumentError)):
        return WarehouseUnavailableError(
            f"{where}: the URL cannot be used ({exc}). Fix --warehouse or CRM_WAREHOUSE_URL "
            "(duckdb:///path/warehouse.duckdb or postgresql+psycopg2://login@host:port/database)"
        )
    if not isinstance(exc, DBAPIError):
        return None
    reason = _driver_text(exc)
    low = reason.lower()
    pgcode = getattr(getattr(exc, "orig", None), "pgcode", None)
    if (
        "connection refused" in low
        or "could not connect" in low
        or "timeout expired" in low
        or ("could not translate host name" in low)
    ):
        return WarehouseUnavailableError(
            f"cannot reach {where}: {reason.rstrip('.')}. Start the database server or fix the host and port "
            "in --warehouse (or CRM_WAREHOUSE_URL)"
        )
    if ("role" in low and "does not exist" in low) or "password authentication failed" in low:
        return WarehouseUnavailableError(
            f"{where} refuses the login {_login(url)!r}: {reason.rstrip('.')}. Use a login the database knows "
            "(see docs/access.md for the roles)"
        )
    if "database" in low and "does not exist" in low:
        return WarehouseUnavailableError(
            f"{where}: {reason.rstrip('.')}. Create it (createdb) or fix the database name in --warehouse"
        )
    if pgcode == "42501" or "permission denied" in low or "must be owner" in low:
        return WarehouseUnavailableError(
            f"the login {_login(url)!r} may not do this in {where}: {reason.rstrip('.')}. Use a login with "
            "the rights for it (the nightly run: a member of crm_loader; see docs/access.md)"
        )
    if _is_duckdb(url) and ("cannot open file" in low or "read-only" in low) and _database(url) in reason:
        return WarehouseUnavailableError(
            f"cannot open {where} for writing: {reason.rstrip('.')}. Choose a folder this user can write "
            "(--warehouse), or close the program that holds the file"
        )
    if type(exc).__name__ in ("OperationalError", "InterfaceError"):
        return WarehouseUnavailableError(f"cannot use {where}: {reason.rstrip('.')}")
    return None


def as_fault(exc: BaseException, url: str | None = None) -> FaultError | None:
    """``exc`` as a fault of the surroundings (warehouse, folders, disk), or None when it is something else."""
    if isinstance(exc, FaultError):
        return exc
    if url is not None and (found := warehouse_fault(exc, url)) is not None:
        return found
    if isinstance(exc, OSError) and not isinstance(exc, DBAPIError) and exc.errno is not None:
        where = f"{exc.filename}" if exc.filename else "a file"
        return path_fault(exc, what=where, fix="Check that this user can write there and that the disk has room")
    return None
