"""The registry of "unavailable" markers (n/a, brak danych, не указано, ندارد, 不详, 1900-01-01 ...).

A marker is not a value: left in place, "brak" becomes a customer's surname and "0" a phone number that links
hundreds of unrelated customers. The bundled list (``data/sentinels.yml``) covers the languages seen so far; a
company adds its own through its settings (``load_sentinels(extra)``) rather than by editing code.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import pandas as pd

from transforms.standardize._data import load_table, string_list
from transforms.standardize.text import text_key
from transforms.standardize.vectorize import map_unique

_REGEX_PREFIX = "re:"
# Characters around a marker that do not change its meaning: "(brak)", "n/a.", "-nie podano-".
_SURROUNDING = " .,;:!()[]{}<>\"'*_-"


@dataclass(frozen=True)
class _FieldRules:
    literals: frozenset[str]
    patterns: tuple[tuple[str, re.Pattern[str]], ...]
    exempt: frozenset[str]


@dataclass(frozen=True)
class SentinelRegistry:
    """Markers per field pattern ("*" for every field); see ``data/sentinels.yml`` for the format."""

    entries: Mapping[str, tuple[str, ...]]
    exempt: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _cache: dict[str, _FieldRules] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        for key, values in self.entries.items():
            for entry in values:
                if entry.startswith(_REGEX_PREFIX):
                    try:
                        re.compile(entry[len(_REGEX_PREFIX) :])
                    except re.error as exc:
                        message = f"sentinels[{key!r}]: {entry!r} is not a valid regular expression: {exc}"
                        raise ValueError(message) from exc

    def _rules(self, fieldname: str) -> _FieldRules:
        name = fieldname.casefold()
        rules = self._cache.get(name)
        if rules is None:
            literals: set[str] = set()
            patterns: list[tuple[str, re.Pattern[str]]] = []
            for key, values in self.entries.items():
                if not fnmatchcase(name, key.casefold()):
                    continue
                for entry in values:
                    if entry.startswith(_REGEX_PREFIX):
                        patterns.append((entry, re.compile(entry[len(_REGEX_PREFIX) :])))
                    elif (k := text_key(entry)) is not None:
                        literals.add(k)
            exempt = {
                k
                for key, values in self.exempt.items()
                if fnmatchcase(name, key.casefold())
                for v in values
                if (k := text_key(v)) is not None
            }
            rules = _FieldRules(frozenset(literals), tuple(patterns), frozenset(exempt))
            self._cache[name] = rules
        return rules

    def match(self, value: object, field: str) -> str | None:
        """Why ``value`` is a marker of "unavailable" in ``field`` ("sentinel:brak danych"), or None if it is not.

        Numbers are read as Excel hands them over (0.0 is "0"); a missing value is not a marker (None).
        """
        text = text_key(value)
        if text is None:
            return None
        rules = self._rules(field)
        if text in rules.exempt:
            return None
        if text in rules.literals:
            return f"sentinel:{text}"
        stripped = text.strip(_SURROUNDING)
        if stripped and stripped in rules.literals and stripped not in rules.exempt:
            return f"sentinel:{stripped}"
        for entry, pattern in rules.patterns:
            if pattern.search(text):
                return f"sentinel:{entry}"
        return None

    def match_series(self, values: pd.Series, field: str) -> pd.Series:
        """``match`` over a column, once per distinct value; None where the value is not a marker."""
        return map_unique(values, lambda v: self.match(v, field))

    def extended(self, extra: Mapping[str, list[str]]) -> SentinelRegistry:
        """A registry with ``extra`` markers added (same keys and entry syntax as the data file)."""
        merged = {key: tuple(values) for key, values in self.entries.items()}
        for key, values in extra.items():
            merged[key] = merged.get(key, ()) + tuple(string_list(values, f"sentinels[{key!r}]"))
        return SentinelRegistry(merged, self.exempt)


def load_sentinels(extra: Mapping[str, list[str]] | None = None) -> SentinelRegistry:
    """The bundled markers, extended with a company's own ``extra`` ({field pattern: [markers]})."""
    table = load_table("sentinels.yml")
    registry = SentinelRegistry(
        {key: tuple(string_list(v, f"sentinels.yml: sentinels[{key!r}]")) for key, v in table["sentinels"].items()},
        {key: tuple(string_list(v, f"sentinels.yml: exempt[{key!r}]")) for key, v in table.get("exempt", {}).items()},
    )
    return registry.extended(extra) if extra else registry
