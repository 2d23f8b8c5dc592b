"""The sources file: which files a company exports, how to read them and what their columns mean.

A company onboards a new spreadsheet by editing this file, not code. Everything a reader needs
(encoding, delimiter, header row, sheets, date order, phone region, who is responsible) is
declared here and validated before any file is opened, so a typo fails the run in a second with
the bad key named instead of silently producing empty columns an hour later.
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from transforms.settings.loader import load_settings_file

SourceKind = Literal["journal", "spreadsheet", "accounting_customers", "invoices", "payments"]
FileFormat = Literal["csv", "xlsx", "jsonl"]
Encoding = Literal["auto", "utf-8", "utf-8-sig", "cp1251", "cp1250", "cp1252", "latin-1", "utf-16", "koi8-r"]
DateOrder = Literal["DMY", "MDY", "YMD"]

#: Logical fields that describe a person or company; every record-bearing kind may map them.
CUSTOMER_FIELDS: tuple[str, ...] = (
    "customer_code",
    "given_name",
    "surname",
    "patronymic",
    "full_name",
    "date_of_birth",
    "sex",
    "phone",
    "email",
    "address",
    "street",
    "city",
    "postcode",
    "country",
    "tax_id",
    "company",
    "last_updated",
    "channel",
    "responsible",
)

#: What each kind of source may map its columns to (besides ``attributes.<name>``).
KIND_FIELDS: dict[str, tuple[str, ...]] = {
    "journal": (
        *CUSTOMER_FIELDS,
        "interaction_at",
        "interaction_type",
        "survey_score",
        "complaint",
        "notes",
        "tags",
        "preferences",
    ),
    "spreadsheet": (*CUSTOMER_FIELDS, "reliability_note", "notes"),
    "accounting_customers": CUSTOMER_FIELDS,
    "invoices": (
        "invoice_number",
        "document_type",
        "customer_code",
        "issue_date",
        "due_date",
        "amount",
        "currency",
        "corrects_invoice",
        "responsible",
    ),
    "payments": ("payment_id", "invoice_number", "customer_code", "payment_date", "amount", "currency", "responsible"),
}

ATTRIBUTE_PREFIX = "attributes."
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
_ATTR_RE = re.compile(r"^[a-z][a-z0-9_]*$")

ColumnTarget = str
_BY_EXTENSION: dict[str, FileFormat] = {
    ".csv": "csv",
    ".txt": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",
    ".jsonl": "jsonl",
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ResponsibleSpec(_Frozen):
    """Who answers for a file's records: one employee for the whole file, or a column naming them per row."""

    employee: str | None = None
    column: str | None = None

    @model_validator(mode="after")
    def _exactly_one(self) -> ResponsibleSpec:
        if (self.employee is None) == (self.column is None):
            raise ValueError("give exactly one of 'employee' (a name) or 'column' (a header naming the employee)")
        return self


class SheetPattern(_Frozen):
    """Sheets whose names match a regular expression."""

    pattern: str

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, v: str) -> str:
        try:
            re.compile(v)
        except re.error as exc:
            raise ValueError(f"not a valid regular expression: {exc}") from exc
        return v


SheetSelector = Literal["all"] | list[str] | SheetPattern


class Defaults(_Frozen):
    """Values every source inherits unless it says otherwise."""

    encoding: Encoding = "auto"
    date_order: DateOrder = "DMY"
    phone_region: str = "PL"
    country: str | None = None
    currency: str = "PLN"
    responsible: str = "unassigned"
    sentinels: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("phone_region", "country")
    @classmethod
    def _iso2(cls, v: str | None) -> str | None:
        return _check_iso2(v)


def _check_iso2(v: str | None) -> str | None:
    if v is None:
        return v
    if not re.fullmatch(r"[A-Za-z]{2}", v):
        raise ValueError(f"expected a two-letter ISO country code such as PL, RU, US; got {v!r}")
    return v.upper()


class History(_Frozen):
    """How many nights the warehouse keeps in its history tables (dq.*, *_history); ops.* keeps every run."""

    keep_nights: int = Field(default=400, ge=1)


class SourceSpec(_Frozen):
    """One declared source: a file or a glob of files of one kind and one layout."""

    name: str
    kind: SourceKind
    path: str
    format: FileFormat | None = None
    encoding: Encoding | None = None
    delimiter: str | None = None
    header_row: Literal["auto"] | Annotated[int, Field(ge=1)] = "auto"
    sheets: SheetSelector = "all"
    include_hidden_sheets: bool = False
    date_order: DateOrder | None = None
    date_format: str | None = None
    phone_region: str | None = None
    country: str | None = None
    currency: str | None = None
    responsible: ResponsibleSpec | None = None
    columns: dict[str, ColumnTarget]
    required: bool = True
    description: str = ""
    # Filled in by SourcesFile from the file's location; not written by users.
    base_dir: str = ""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME_RE.match(v):
            raise ValueError("use lower-case letters, digits and underscores, starting with a letter (e.g. call_log)")
        return v

    @field_validator("delimiter")
    @classmethod
    def _delimiter(cls, v: str | None) -> str | None:
        if v is not None and v != "auto" and len(v) != 1 and v != "\\t":
            raise ValueError("a delimiter is one character (or 'auto', or '\\t' for tab)")
        return "\t" if v == "\\t" else v

    @field_validator("phone_region", "country")
    @classmethod
    def _iso2(cls, v: str | None) -> str | None:
        return _check_iso2(v)

    @field_validator("columns")
    @classmethod
    def _columns(cls, v: dict[str, str], info: ValidationInfo) -> dict[str, str]:
        kind = info.data.get("kind")
        if kind is None:
            return v
        allowed = KIND_FIELDS[kind]
        problems = []
        for header, target in v.items():
            if not isinstance(header, str) or not header.strip():
                problems.append(f"{header!r}: a column header must be a non-empty string")
            elif target.startswith(ATTRIBUTE_PREFIX):
                if not _ATTR_RE.match(target[len(ATTRIBUTE_PREFIX) :]):
                    problems.append(f"{header}: custom field {target!r} must look like attributes.expected_gift")
            elif target not in allowed:
                close = difflib.get_close_matches(target, allowed, n=1)
                hint = f" (did you mean {close[0]!r}?)" if close else ""
                problems.append(
                    f"{header}: unknown field {target!r} for a {kind} source{hint}; "
                    f"use one of {', '.join(allowed)} or attributes.<name>"
                )
        if problems:
            raise ValueError("; ".join(problems))
        if not v:
            raise ValueError("map at least one column")
        return v

    @model_validator(mode="after")
    def _format_known(self) -> SourceSpec:
        if self.file_format is None:
            raise ValueError(f"cannot tell the format of {self.path!r} from its extension; add format: csv|xlsx|jsonl")
        return self

    @property
    def file_format(self) -> FileFormat | None:
        """The declared format, else the one the path's extension implies."""
        if self.format is not None:
            return self.format
        suffix = Path(self.path).suffix.lower()
        return _BY_EXTENSION.get(suffix)

    @property
    def pattern(self) -> str:
        """The path or glob, made absolute against the sources file's own folder."""
        p = Path(self.path).expanduser()
        if p.is_absolute() or not self.base_dir:
            return str(p)
        return str(Path(self.base_dir) / p)

    def fields_for(self, headers: list[str]) -> dict[str, str]:
        """The mapping restricted to headers present in a file (several schema versions may be declared)."""
        return {h: t for h, t in self.columns.items() if h in headers}


class SourcesFile(_Frozen):
    """The whole sources file."""

    version: Literal[1] = 1
    company: str = ""
    defaults: Defaults = Field(default_factory=Defaults)
    history: History = Field(default_factory=History)
    sources: list[SourceSpec]
    path: str = ""

    @model_validator(mode="before")
    @classmethod
    def _inherit_defaults(cls, data: Any, info: ValidationInfo) -> Any:
        """Copy the file's folder into each source so relative paths resolve against it."""
        if not isinstance(data, dict):
            return data
        base = (info.context or {}).get("base_dir", "")
        sources = data.get("sources")
        if isinstance(sources, list):
            data = dict(data)
            data["sources"] = [
                {**s, "base_dir": base} if isinstance(s, dict) and "base_dir" not in s else s for s in sources
            ]
        return data

    @model_validator(mode="after")
    def _unique_names(self) -> SourcesFile:
        seen: set[str] = set()
        for i, s in enumerate(self.sources):
            if s.name in seen:
                raise ValueError(f"sources[{i}].name: {s.name!r} is used by two sources; names must be unique")
            seen.add(s.name)
        if not self.sources:
            raise ValueError("sources: declare at least one source")
        return self

    def source(self, name: str) -> SourceSpec:
        """The source called ``name``."""
        for s in self.sources:
            if s.name == name:
                return s
        raise KeyError(name)

    def regions(self) -> tuple[str, ...]:
        """Every country the company declares (phone regions and countries, defaults first), each once: where a
        phone written without its country code may come from when the source's own region does not read it."""
        d = self.defaults
        declared = [d.phone_region, d.country, *(c for s in self.sources for c in (s.phone_region, s.country))]
        return tuple(dict.fromkeys(c for c in declared if c))

    def effective(self, spec: SourceSpec) -> dict[str, Any]:
        """A source's reading options with the file-wide defaults filled in."""
        d = self.defaults
        return {
            "encoding": spec.encoding or d.encoding,
            "date_order": spec.date_order or d.date_order,
            "phone_region": spec.phone_region or d.phone_region,
            "country": spec.country or d.country,
            "currency": spec.currency or d.currency,
        }


def load_sources(path: str | Path, *, original: str | Path | None = None) -> SourcesFile:
    """Load and validate a sources file; relative paths inside it resolve against its folder.

    ``original``: ``path`` is a copy of that file (a run's settings snapshot); paths resolve against the
    original's folder, where the company's files are, and the model's ``path`` names the original.
    """
    p = Path(path).expanduser().resolve()
    named = Path(original).expanduser().resolve() if original is not None else p
    model = load_settings_file(SourcesFile, p, context={"base_dir": str(named.parent)})
    return model.model_copy(update={"path": str(named)})
