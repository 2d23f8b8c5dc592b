"""Map a sheet's cells to logical fields and tell records from the rows around them.

A spreadsheet kept by hand holds more than records: blank lines, section titles such as
"— Warszawa —", totals at the bottom, the header pasted again halfway down. Those rows are
recognised here and quarantined with their reason, so they never reach the customer base and
are never silently lost either.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from transforms.extract.cells import cell_text, normalize_header
from transforms.extract.tables import RawRow
from transforms.settings.sources import ATTRIBUTE_PREFIX, SourceSpec
from transforms.standardize.text import fold_label

#: A row that fills one of these is a record even if nothing else is filled.
IDENTIFYING_FIELDS = frozenset({"phone", "email", "tax_id", "customer_code", "invoice_number", "payment_id"})


@lru_cache(maxsize=1)
def totals_markers() -> tuple[str, ...]:
    """Words that open a totals row, from the bundled data file."""
    text = resources.files("transforms.extract").joinpath("data/non_record_markers.yml").read_text("utf-8")
    words = yaml.safe_load(text)["totals"]
    return tuple(sorted((normalize_header(w) for w in words), key=len, reverse=True))


@lru_cache(maxsize=1)
def _totals_pattern() -> re.Pattern[str]:
    """One regular expression for "a totals word, then the end, a space or a colon"."""
    words = "|".join(re.escape(m) for m in totals_markers())
    return re.compile(rf"^(?:{words})(?:$|[\s:])")


@dataclass(frozen=True)
class ColumnPlan:
    """How each header of one sheet maps to a logical field, an attribute, or the responsible employee."""

    fields: dict[int, str]  # column index -> logical field
    attributes: dict[int, str]  # column index -> attribute name
    responsible_col: int | None
    header_keys: tuple[str, ...]
    header_folded: tuple[str, ...]  # headers case-folded only: a cheap first test for a repeated header row
    missing: tuple[str, ...]  # declared headers not present in this sheet
    unmapped: tuple[str, ...]
    # declared targets (fields, attributes, the responsible column) none of whose headers is in this sheet
    missing_targets: dict[str, tuple[str, ...]] = dataclasses.field(default_factory=dict)


def plan_columns(header: list[str], spec: SourceSpec) -> ColumnPlan:
    """Match declared headers to the sheet's headers; unmapped columns are kept as attributes."""
    declared = {normalize_header(h): t for h, t in spec.columns.items()}
    keys = tuple(normalize_header(h) for h in header)
    resp_key = normalize_header(spec.responsible.column) if spec.responsible and spec.responsible.column else None
    fields: dict[int, str] = {}
    attributes: dict[int, str] = {}
    unmapped = []
    responsible_col = None
    for i, (name, key) in enumerate(zip(header, keys, strict=True)):
        target = declared.get(key)
        if key == resp_key:
            responsible_col = i
            if target is None:
                continue
        if target is None:
            attributes[i] = name
            unmapped.append(name)
        elif target.startswith(ATTRIBUTE_PREFIX):
            attributes[i] = target[len(ATTRIBUTE_PREFIX) :]
        else:
            fields[i] = target
            if target == "responsible" and responsible_col is None:
                responsible_col = i
    present = set(keys)
    missing = tuple(h for h in spec.columns if normalize_header(h) not in present)
    folded = tuple(h.casefold().strip() for h in header)
    return ColumnPlan(
        fields, attributes, responsible_col, keys, folded, missing, tuple(unmapped), _missing_targets(spec, present)
    )


def _missing_targets(spec: SourceSpec, present: set[str]) -> dict[str, tuple[str, ...]]:
    """Each declared target whose every header (old and new layouts) is absent, with those headers."""
    headers: dict[str, list[str]] = {}
    for h, target in spec.columns.items():
        headers.setdefault(target, []).append(h)
    if spec.responsible and spec.responsible.column:
        headers.setdefault("responsible", []).append(spec.responsible.column)
    return {target: tuple(hs) for target, hs in headers.items() if not any(normalize_header(h) in present for h in hs)}


@dataclass
class MappedRow:
    """A row's logical values, or the reason it is not a record."""

    values: dict[str, str]
    attributes: dict[str, str]
    responsible: str | None
    reason: str | None = None
    reason_field: str = ""
    raw: str | None = None


def _row_raw(texts: list[str | None]) -> str:
    return json.dumps(list(texts), ensure_ascii=False)


def map_row(row: RawRow, plan: ColumnPlan, *, tabular: bool = True) -> MappedRow:
    """Map one row and classify it (record, blank, repeated header, totals, section title, broken)."""
    texts = [cell_text(c) for c in row.cells]
    if row.broken:
        return MappedRow({}, {}, None, reason=f"unreadable_row: {row.broken}", raw=row.raw)
    filled = [i for i, t in enumerate(texts) if t is not None]
    if not filled:
        return MappedRow({}, {}, None, reason="blank_row")
    if not tabular:
        return _values(texts, plan)
    if len(filled) >= 2 and _is_repeated_header(texts, filled, plan):
        return MappedRow({}, {}, None, reason="repeated_header", raw=_row_raw(texts))
    mapped = _values(texts, plan)
    if _totals_pattern().match(_fold(texts[filled[0]] or "")) and not _customer_evidence(texts, filled, plan):
        return MappedRow({}, {}, None, reason="totals_row", raw=_row_raw(texts))
    if mapped.reason is None and len(filled) == 1 and not (set(mapped.values) & IDENTIFYING_FIELDS):
        reason = "non_record_row: a single filled cell (a section title?)"
        return MappedRow({}, {}, None, reason=reason, raw=_row_raw(texts))
    return mapped


#: Fields that a totals row never fills: a row with one of them is a customer called Suma or Total.
_DIGITS = re.compile(r"\d")
EVIDENCE_FIELDS: dict[str, Callable[[str], bool]] = {
    "phone": lambda t: len(_DIGITS.findall(t)) >= 6,
    "email": lambda t: "@" in t,
    "date_of_birth": lambda t: len(_DIGITS.findall(t)) >= 4,
    "tax_id": lambda t: len(_DIGITS.findall(t)) >= 6,
    "given_name": lambda t: not _DIGITS.search(t),
    "patronymic": lambda t: not _DIGITS.search(t),
}


def _customer_evidence(texts: list[str | None], filled: list[int], plan: ColumnPlan) -> bool:
    """Whether a row opening with a totals word holds what only a record holds.

    That is a phone, e-mail, date of birth, tax id or given name in a cell of its own, or three or more
    filled cells of text besides the first (a totals row holds a word and numbers: ``Razem | | 12 345,00 | PLN``).
    """
    others = filled[1:]
    for i in others:
        check = EVIDENCE_FIELDS.get(plan.fields.get(i, ""))
        if check is not None and check(texts[i] or ""):
            return True
    wordy = [i for i in others if (t := texts[i]) is not None and not _DIGITS.search(t)]
    return len(wordy) >= 3


def _is_repeated_header(texts: list[str | None], filled: list[int], plan: ColumnPlan) -> bool:
    """At least two filled cells, and at least half of them, repeat their column's header."""
    width = len(plan.header_keys)
    same = 0
    for i in filled:
        t = texts[i]
        if i >= width or t is None:
            continue
        folded = t.casefold().strip()
        header = plan.header_folded[i]
        if folded == header or (abs(len(folded) - len(header)) <= 3 and normalize_header(t) == plan.header_keys[i]):
            same += 1
    return same >= 2 and same * 2 >= len(filled)


def _values(texts: list[str | None], plan: ColumnPlan) -> MappedRow:
    values: dict[str, str] = {}
    for i, field in plan.fields.items():
        t = texts[i] if i < len(texts) else None
        if t is not None and field not in values:
            values[field] = t
    attributes: dict[str, str] = {}
    for i, name in plan.attributes.items():
        t = texts[i] if i < len(texts) else None
        if t is not None:
            attributes[name] = t
    for i in range(len(plan.header_keys), len(texts)):
        t = texts[i]
        if t is not None:
            attributes[f"column_{i + 1}"] = t
    responsible = texts[plan.responsible_col] if plan.responsible_col is not None else None
    if not values:
        reason = "non_record_row: none of the mapped columns is filled"
        return MappedRow({}, {}, None, reason=reason, raw=_row_raw(texts))
    return MappedRow(values, attributes, responsible)


def _fold(text: str) -> str:
    """A marker row's first cell without its decoration ("— Total: —" is "total")."""
    return fold_label(text, strip=" \t—–-*:=#|")
