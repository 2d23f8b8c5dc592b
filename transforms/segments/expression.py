"""A small, safe condition language for analysts' segment rules, compiled to SQL.

Analysts write conditions such as ``channel = 'radio' and complaints_recent >= 2``. Pasting such text into
SQL would let any typo (or worse) reach the warehouse, so the text is parsed into a tree first: only known
column names, numbers, quoted text, comparisons, ``in``, ``is null``, ``and``/``or``/``not`` and brackets
are accepted, every name is checked against the feature table, and the SQL is written from the tree with
identifiers quoted and literals escaped. The same SQL runs on DuckDB and PostgreSQL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

ColumnKind = Literal["text", "number", "date"]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<number>-?\d+(?:\.\d+)?)
      | (?P<text>'(?:[^']|'')*')
      | (?P<op><=|>=|!=|<>|=|<|>|\(|\)|,)
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*)
    )""",
    re.VERBOSE,
)
_KEYWORDS = {"and", "or", "not", "in", "is", "null"}
_MAX_LENGTH = 2000


class ExpressionError(ValueError):
    """A condition that cannot be used, with the reason in the analyst's terms."""


@dataclass(frozen=True)
class Token:
    """One piece of a condition."""

    kind: Literal["number", "text", "op", "word", "end"]
    value: str
    position: int


def tokenize(source: str) -> list[Token]:
    """Split a condition into tokens; anything else (a semicolon, a quote left open) is refused."""
    if len(source) > _MAX_LENGTH:
        raise ExpressionError(f"the condition is longer than {_MAX_LENGTH} characters")
    tokens: list[Token] = []
    pos = 0
    while pos < len(source):
        if source[pos:].strip() == "":
            break
        m = _TOKEN.match(source, pos)
        if m is None or m.end() == pos:
            bad = source[pos:].lstrip()[:10]
            raise ExpressionError(f"cannot read the condition at {bad!r} (character {pos + 1})")
        kind = m.lastgroup
        assert kind is not None
        value = m.group(kind)
        if kind == "word" and value.lower() in _KEYWORDS:
            value = value.lower()
        tokens.append(Token(kind, value, m.start(kind)))  # type: ignore[arg-type]
        pos = m.end()
    tokens.append(Token("end", "", len(source)))
    return tokens


class _Parser:
    """Recursive descent: or_expr := and_expr ('or' and_expr)*; and_expr := not_expr ('and' not_expr)*; ..."""

    def __init__(self, tokens: list[Token], columns: dict[str, ColumnKind]) -> None:
        self.tokens = tokens
        self.i = 0
        self.columns = columns
        self.used: set[str] = set()

    def peek(self) -> Token:
        return self.tokens[self.i]

    def take(self) -> Token:
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, value: str) -> None:
        tok = self.take()
        if tok.value != value or tok.kind == "text":
            raise ExpressionError(
                f"expected {value!r} at character {tok.position + 1}, found {tok.value or 'the end'!r}"
            )

    def parse(self) -> str:
        sql = self.or_expr()
        if self.peek().kind != "end":
            tok = self.peek()
            raise ExpressionError(f"unexpected {tok.value!r} at character {tok.position + 1}")
        return sql

    def or_expr(self) -> str:
        parts = [self.and_expr()]
        while self.peek().kind == "word" and self.peek().value == "or":
            self.take()
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else "(" + " or ".join(parts) + ")"

    def and_expr(self) -> str:
        parts = [self.not_expr()]
        while self.peek().kind == "word" and self.peek().value == "and":
            self.take()
            parts.append(self.not_expr())
        return parts[0] if len(parts) == 1 else "(" + " and ".join(parts) + ")"

    def not_expr(self) -> str:
        if self.peek().kind == "word" and self.peek().value == "not":
            self.take()
            return f"(not {self.not_expr()})"
        if self.peek().kind == "op" and self.peek().value == "(":
            self.take()
            inner = self.or_expr()
            self.expect(")")
            return inner
        return self.comparison()

    def column(self) -> tuple[str, ColumnKind]:
        tok = self.take()
        if tok.kind != "word" or tok.value in _KEYWORDS:
            raise ExpressionError(
                f"expected a column name at character {tok.position + 1}, found {tok.value or 'the end'!r}"
            )
        name = tok.value.lower()
        if name not in self.columns:
            import difflib

            close = difflib.get_close_matches(name, list(self.columns), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ExpressionError(f"unknown column {tok.value!r}{hint}")
        self.used.add(name)
        return name, self.columns[name]

    def literal(self, kind: ColumnKind, column: str) -> str:
        tok = self.take()
        if tok.kind == "number":
            if kind != "number":
                raise ExpressionError(f"{column} holds {kind}: compare it with quoted text such as '2026-01-31'")
            return str(float(tok.value)) if "." in tok.value else str(int(tok.value))
        if tok.kind == "text":
            if kind == "number":
                raise ExpressionError(f"{column} is a number: compare it with a number, without quotes")
            text = tok.value[1:-1].replace("''", "'")
            escaped = text.replace("'", "''")
            return f"cast('{escaped}' as date)" if kind == "date" else f"'{escaped}'"
        raise ExpressionError(f"expected a value at character {tok.position + 1}, found {tok.value or 'the end'!r}")

    def comparison(self) -> str:
        name, kind = self.column()
        ident = f'"{name}"'
        tok = self.take()
        if tok.kind == "op" and tok.value in {"=", "!=", "<>", "<", "<=", ">", ">="}:
            op = "<>" if tok.value == "!=" else tok.value
            return f"{ident} {op} {self.literal(kind, name)}"
        if tok.kind == "word" and tok.value == "is":
            negate = self.peek().kind == "word" and self.peek().value == "not"
            if negate:
                self.take()
            self.expect("null")
            return f"{ident} is {'not ' if negate else ''}null"
        negate = False
        if tok.kind == "word" and tok.value == "not":
            negate = True
            tok = self.take()
        if tok.kind == "word" and tok.value == "in":
            self.expect("(")
            values = [self.literal(kind, name)]
            while self.peek().kind == "op" and self.peek().value == ",":
                self.take()
                values.append(self.literal(kind, name))
            self.expect(")")
            return f"{ident} {'not in' if negate else 'in'} ({', '.join(values)})"
        raise ExpressionError(
            f"expected a comparison (=, !=, <, <=, >, >=, in, is null) after {name} at character {tok.position + 1}"
        )


def compile_condition(source: str, columns: dict[str, ColumnKind]) -> str:
    """The condition as a SQL boolean expression over ``columns``; ExpressionError when it is not valid."""
    if not source.strip():
        raise ExpressionError("the condition is empty")
    return _Parser(tokenize(source), columns).parse()
