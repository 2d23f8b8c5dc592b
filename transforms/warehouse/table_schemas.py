"""One schema per warehouse table, read from its SQL file: the columns every stage writes and every check uses.

The SQL files of sql/warehouse declare each table once (``create table if not exists schema.table (...)``, one
file per table). This module reads those statements into a :class:`TableSchema` (columns in order, their SQL
type, its Arrow type, whether a value is required), so Python never spells a table's columns again: a stage
asks for ``columns("core.customer")`` and a test checks a staged Parquet file with ``check_parquet``.

The reader is strict on purpose. The tables use a handful of plain types and the ``not null`` / ``primary key``
clauses; anything else (a type it has no Arrow type for, a default, a check, a foreign key) stops it with the
file and the column named, so a new kind of declaration is taught here rather than silently misread.
A test holds what it reads equal to what DuckDB makes of the same files.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Literal

from transforms.warehouse.sql_files import relative_name, split_statements, sql_dir, table_files

if TYPE_CHECKING:
    import pandas as pd
    import pyarrow as pa

_CREATE_TABLE = re.compile(r"create\s+table\b", re.I)
_CREATE_TABLE_STATEMENT = re.compile(r"create\s+table\s+if\s+not\s+exists\s+(\w+)\.(\w+)\s*\((.*)\)\s*$", re.S | re.I)
_NAME = re.compile(r"^[a-z_][a-z0-9_]*$")
_TABLE_KEY = re.compile(r"^(primary\s+key|unique)\s*\(([^()]*)\)$", re.I)
_CLAUSES = (("not", "null"), ("primary", "key"), ("unique",), ("null",))

Kind = Literal["text", "integer", "float", "boolean", "date", "timestamp"]
#: The SQL types the warehouse's files use (lower case, single spaces) and the kind of value each holds.
_TYPES: dict[str, Kind] = {
    "varchar": "text",
    "bigint": "integer",
    "integer": "integer",
    "double precision": "float",
    "boolean": "boolean",
    "date": "date",
    "timestamp": "timestamp",
}


@cache
def _arrow_types() -> dict[str, pa.DataType]:
    """Each SQL type's Arrow type, as DuckDB reads it back (a test holds the two equal)."""
    import pyarrow as pa

    return {
        "varchar": pa.string(),
        "bigint": pa.int64(),
        "integer": pa.int32(),
        "double precision": pa.float64(),
        "boolean": pa.bool_(),
        "date": pa.date32(),
        "timestamp": pa.timestamp("us"),
    }


class DdlError(ValueError):
    """A table's SQL file declares something this reader does not understand."""


@dataclass(frozen=True)
class Column:
    """One column as its table's file declares it."""

    name: str
    sql_type: str  # lower case, single spaces: "double precision"
    not_null: bool  # ``not null`` or part of the primary key
    definition: str  # everything after the name, as written (spacing folded): "varchar primary key"

    @property
    def kind(self) -> Kind:
        """The kind of value the column holds (text, integer, float, boolean, date, timestamp)."""
        return _TYPES[self.sql_type]

    def arrow_type(self) -> pa.DataType:
        """The Arrow type a staged file gives the column (what DuckDB reads back for the SQL type)."""
        return _arrow_types()[self.sql_type]


@dataclass(frozen=True)
class TableSchema:
    """A warehouse table: its name, its file and its columns in order."""

    schema: str
    name: str
    columns: tuple[Column, ...]
    file: Path | None = None

    @property
    def qualified(self) -> str:
        """schema.table."""
        return f"{self.schema}.{self.name}"

    @property
    def declared_in(self) -> str:
        """The file that declares the table ("warehouse/core/customer.sql"), or its name when read from a statement."""
        return relative_name(self.file) if self.file is not None else self.qualified

    @property
    def column_names(self) -> tuple[str, ...]:
        """The column names in the table's order."""
        return tuple(c.name for c in self.columns)

    @property
    def required(self) -> tuple[str, ...]:
        """The columns that may not be empty."""
        return tuple(c.name for c in self.columns if c.not_null)

    def column(self, name: str) -> Column:
        """One column by name (KeyError naming the table when it has none of that name)."""
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"{self.qualified} has no column {name!r}")

    def arrow_schema(self) -> pa.Schema:
        """The table as an Arrow schema: names in order, types, and ``nullable=False`` for required columns."""
        import pyarrow as pa

        return pa.schema([pa.field(c.name, c.arrow_type(), nullable=not c.not_null) for c in self.columns])


def _split_items(body: str) -> list[str]:
    """A column list split on commas outside parentheses (``decimal(10, 2)`` stays whole)."""
    items: list[str] = []
    depth = 0
    start = 0
    for i, ch in enumerate(body):
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            items.append(body[start:i].strip())
            start = i + 1
    items.append(body[start:].strip())
    return [item for item in items if item]


def _column(item: str, where: str) -> Column:
    """One column item: ``name type [not null] [primary key | unique]``."""
    words = item.split()
    name = words[0].lower()
    if not _NAME.match(name) or len(words) < 2:
        raise DdlError(f"{where}: cannot read the column {item!r} (expected: name type [not null] [primary key])")
    rest = [w.lower() for w in words[1:]]
    not_null = False
    found = True
    while found:
        found = False
        for clause in _CLAUSES:
            if len(rest) > len(clause) and tuple(rest[-len(clause) :]) == clause:
                rest = rest[: -len(clause)]
                not_null = not_null or clause in (("not", "null"), ("primary", "key"))
                found = True
    sql_type = " ".join(rest)
    if sql_type not in _TYPES:
        known = ", ".join(sorted(_TYPES))
        raise DdlError(
            f"{where}: column {name!r} is declared {' '.join(words[1:])!r}; the schema reader knows the types "
            f"{known} with 'not null', 'primary key' or 'unique' (teach it the new one in {__name__})"
        )
    return Column(name, sql_type, not_null, " ".join(words[1:]))


def parse_table(stmt: str, *, where: str = "") -> TableSchema | None:
    """The table a ``create table if not exists schema.table (...)`` statement declares; None for any other
    statement; DdlError for a ``create table`` it does not understand."""
    text = stmt.strip()
    if not _CREATE_TABLE.match(text):
        return None
    m = _CREATE_TABLE_STATEMENT.match(text)
    if m is None:
        raise DdlError(f"{where or text[:60]}: a table is declared 'create table if not exists <schema>.<table> (...)'")
    schema, name = m[1].lower(), m[2].lower()
    where = f"{where}: {schema}.{name}" if where else f"{schema}.{name}"
    columns: list[Column] = []
    keys: set[str] = set()
    for item in _split_items(m[3]):
        if key := _TABLE_KEY.match(item):
            if key[1].lower().startswith("primary"):
                keys.update(k.strip().lower() for k in key[2].split(","))
            continue
        if item.split()[0].lower() in ("constraint", "check", "foreign", "primary", "unique", "exclude"):
            raise DdlError(f"{where}: the schema reader does not understand the table constraint {item!r}")
        columns.append(_column(item, where))
    names = [c.name for c in columns]
    if twice := sorted({n for n in names if names.count(n) > 1}):
        raise DdlError(f"{where}: column(s) {twice} declared twice")
    if unknown := keys - set(names):
        raise DdlError(f"{where}: the primary key names {sorted(unknown)}, which the table does not declare")
    columns = [Column(c.name, c.sql_type, True, c.definition) if c.name in keys else c for c in columns]
    return TableSchema(schema, name, tuple(columns))


def read_table_file(path: Path) -> TableSchema:
    """The one table a file of sql/warehouse declares (DdlError when it declares none or several)."""
    where = relative_name(path)
    found = [t for stmt in split_statements(path.read_text("utf-8")) if (t := parse_table(stmt, where=where))]
    if len(found) != 1:
        raise DdlError(f"{where}: a table's file declares exactly one table, this one declares {len(found)}")
    table = found[0]
    return TableSchema(table.schema, table.name, table.columns, path)


@cache
def table_schemas() -> Mapping[str, TableSchema]:
    """Every warehouse table by schema.table, read once from sql/warehouse."""
    out: dict[str, TableSchema] = {}
    for path in table_files():
        table = read_table_file(path)
        if table.qualified in out:
            raise DdlError(f"{table.qualified} is declared twice: {out[table.qualified].file} and {path}")
        out[table.qualified] = table
    return MappingProxyType(out)


def table_schema(name: str) -> TableSchema:
    """The schema of one table, by ``schema.table``."""
    try:
        return table_schemas()[name]
    except KeyError:
        raise KeyError(f"no table {name!r} in {sql_dir()} (tables: {', '.join(sorted(table_schemas()))})") from None


def columns(name: str) -> tuple[str, ...]:
    """The column names of ``schema.table``, in the table's order."""
    return table_schema(name).column_names


def columns_except(name: str, left_out: Iterable[str]) -> tuple[str, ...]:
    """The columns of ``schema.table`` but ``left_out`` (each of which the table must have), in the table's order.

    A stage builds most tables without the night's stamp (``as_of``, ``run_id``) or without the key it adds
    last; this names those columns instead of copying the rest.
    """
    table = table_schema(name)
    skip = set(left_out)
    for col in skip:
        table.column(col)
    return tuple(c for c in table.column_names if c not in skip)


Problem = Literal["missing", "extra", "type", "empty"]


@dataclass(frozen=True)
class ColumnProblem:
    """What is wrong with one column of a frame or file, against its table."""

    column: str
    problem: Problem
    detail: str


class SchemaMismatchError(ValueError):
    """A frame or Parquet file that does not fit its warehouse table; names the table and each column at fault."""

    def __init__(self, table: str, problems: list[ColumnProblem], *, what: str = "") -> None:
        self.table = table
        self.problems = tuple(problems)
        lines = "; ".join(f"column {p.column!r} {p.detail}" for p in problems)
        super().__init__(f"{what + ': ' if what else ''}does not fit {table}: {lines}")


@cache
def _accepts() -> dict[Kind, tuple[Callable[[pa.DataType], bool], ...]]:
    """Which Arrow types load into each kind of column as they are."""
    import pyarrow.types as t

    return {
        "text": (t.is_string, t.is_large_string),
        "integer": (t.is_integer,),
        "float": (t.is_floating, t.is_integer),
        "boolean": (t.is_boolean,),
        "date": (t.is_date,),
        "timestamp": (t.is_timestamp,),
    }


def _type_problem(col: Column, values: pa.ChunkedArray) -> str | None:
    """Why ``values`` do not load into ``col`` as they are, or None when they do.

    An all-empty column (Arrow ``null``) fits anything, integers fit a float column, and whole numbers that pandas
    holds as floats (a count with gaps) fit an integer column: the loader writes them whole. A fraction there
    would be rounded silently, so it is a problem.
    """
    import pyarrow.compute as pc
    import pyarrow.types as t

    written = values.type
    if t.is_dictionary(written):
        written = written.value_type
    if t.is_null(written) or any(accepts(written) for accepts in _accepts()[col.kind]):
        return None
    if col.kind == "integer" and t.is_floating(written):
        fractions = pc.sum(pc.not_equal(pc.floor(values), values)).as_py() or 0
        return None if fractions == 0 else f"holds {fractions} fractional value(s), the table declares {col.sql_type}"
    return f"holds {written}, which does not load into {col.sql_type}"


def _problems(table: TableSchema, data: pa.Table) -> list[ColumnProblem]:
    """Every way ``data`` does not fit ``table``: missing, extra or ill-typed columns, empty required values."""
    problems: list[ColumnProblem] = []
    present = set(data.schema.names)
    for col in table.columns:
        if col.name not in present:
            problems.append(ColumnProblem(col.name, "missing", f"is missing (the table declares {col.definition})"))
        elif (detail := _type_problem(col, data.column(col.name))) is not None:
            problems.append(ColumnProblem(col.name, "type", detail))
        elif col.not_null and (empty := data.column(col.name).null_count):
            detail = f"has {empty} empty value(s), the table requires a value ({col.definition})"
            problems.append(ColumnProblem(col.name, "empty", detail))
    declared = set(table.column_names)
    for extra in (n for n in data.schema.names if n not in declared):
        problems.append(ColumnProblem(extra, "extra", f"is not a column of the table ({table.declared_in})"))
    return problems


def check_arrow(name: str, data: pa.Table, *, what: str = "") -> None:
    """Raise SchemaMismatchError unless ``data`` has exactly the columns of ``schema.table``, each holding values
    that load into its type, and no empty value in a required column. ``what`` (a path) starts the message."""
    if problems := _problems(table_schema(name), data):
        raise SchemaMismatchError(name, problems, what=what)


def check_frame(name: str, frame: pd.DataFrame, *, what: str = "") -> None:
    """``check_arrow`` on a DataFrame as it would be written to Parquet (its index left out)."""
    import pyarrow as pa

    check_arrow(name, pa.Table.from_pandas(frame, preserve_index=False), what=what)


def check_parquet(name: str, path: Path) -> None:
    """``check_arrow`` on a staged Parquet file; the message starts with the file's path."""
    import pyarrow.parquet as pq

    check_arrow(name, pq.read_table(path), what=str(path))


def conform(name: str, frame: pd.DataFrame) -> pa.Table:
    """``frame`` as the Parquet file of ``schema.table``: the table's columns in its order, the frame's other
    columns left out, a column empty tonight (no type of its own) given the table's type.

    A frame without rows becomes the table's empty file whatever its columns. Values are kept as they are
    (a count pandas holds as a float stays one: the loader writes it whole); a column missing, or holding values
    that do not load into its type, raises SchemaMismatchError.
    """
    import pyarrow as pa

    table = table_schema(name)
    target = table.arrow_schema()
    if not len(frame):
        return target.empty_table()
    present = [c for c in table.column_names if c in frame.columns]
    data = pa.Table.from_pandas(frame[present], preserve_index=False)
    problems = [p for p in _problems(table, data) if p.problem in ("missing", "type")]
    if problems:
        raise SchemaMismatchError(name, problems)
    for i, col in enumerate(table.columns):
        if pa.types.is_null(data.schema.field(i).type):
            data = data.set_column(i, col.name, pa.nulls(data.num_rows, col.arrow_type()))
    return data
