"""The survivorship settings (``survivorship.yml``): which record's value each golden-record field keeps.

Bundled defaults in ``data/survivorship.yml``; a company's file of the same name beside its sources file
is merged over them (see transforms.settings.layered).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from transforms.lineage import RUN_STAMP
from transforms.settings.layered import load_for_sources
from transforms.warehouse.table_schemas import columns_except

DEFAULT_FILE = Path(__file__).parent / "data" / "survivorship.yml"

Rule = Literal["most_recent", "most_frequent", "source_priority", "latest_confirmed"]

#: Golden-record columns computed from all of a customer's records (ids, dates, counts, completeness).
COMPUTED_COLUMNS: tuple[str, ...] = (
    "customer_id",
    "first_seen_on",
    "last_updated_on",
    "record_count",
    "source_count",
    "sources",
    "completeness",
)
#: Fields of the golden record that survivorship chooses: every other column of core.customer.
CHOSEN_FIELDS: tuple[str, ...] = columns_except("core.customer", (*COMPUTED_COLUMNS, *RUN_STAMP))


def _known(name: str) -> str:
    if name not in CHOSEN_FIELDS:
        close = difflib.get_close_matches(name, CHOSEN_FIELDS, n=1, cutoff=0.5)
        hint = f" (did you mean {close[0]!r}?)" if close else ""
        raise ValueError(f"unknown field {name!r}{hint}: choose among {', '.join(CHOSEN_FIELDS)}")
    return name


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Group(_Frozen):
    """Fields taken together from one record."""

    fields: list[str] = Field(min_length=1)
    rule: Rule = "most_recent"
    agree_on: str | None = None

    @field_validator("agree_on")
    @classmethod
    def _agree(cls, v: str | None) -> str | None:
        return None if v is None else _known(v)

    @field_validator("fields")
    @classmethod
    def _fields(cls, v: list[str]) -> list[str]:
        return [_known(f) for f in v]


class SurvivorshipSettings(_Frozen):
    """The whole file."""

    priority: list[str] = Field(default_factory=lambda: ["accounting_customers", "spreadsheet", "journal"])
    groups: dict[str, Group] = Field(default_factory=dict)
    fields: dict[str, Rule] = Field(default_factory=dict)
    default_rule: Rule = "most_recent"
    unassigned: list[str] = Field(default_factory=lambda: ["unassigned"])

    @field_validator("fields")
    @classmethod
    def _field_names(cls, v: dict[str, Rule]) -> dict[str, Rule]:
        for name in v:
            _known(name)
        return v

    @model_validator(mode="after")
    def _once(self) -> SurvivorshipSettings:
        seen: dict[str, str] = {}
        for gname, group in self.groups.items():
            for f in group.fields:
                if f in seen:
                    raise ValueError(f"groups.{gname}: field {f!r} is already in group {seen[f]!r}")
                seen[f] = gname
        for f in self.fields:
            if f in seen:
                raise ValueError(f"fields.{f}: the field is chosen by group {seen[f]!r}; list it in one place only")
        return self

    def plan(self) -> list[tuple[list[str], Rule, str]]:
        """Every chosen field exactly once: (fields of the block, rule, column votes compare on)."""
        out: list[tuple[list[str], Rule, str]] = [
            (g.fields, g.rule, g.agree_on or g.fields[0]) for g in self.groups.values()
        ]
        grouped = {f for g in self.groups.values() for f in g.fields}
        for f in CHOSEN_FIELDS:
            if f not in grouped:
                out.append(([f], self.fields.get(f, self.default_rule), f))
        return out


def load_survivorship(sources_file: str | Path | None) -> tuple[SurvivorshipSettings, str]:
    """The survivorship settings of a run and where they came from."""
    return load_for_sources(SurvivorshipSettings, DEFAULT_FILE, sources_file)
