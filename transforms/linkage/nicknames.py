"""Nickname groups: Robert and Bob, Александр and Саша, Małgorzata and Gosia are one name when linking.

The project keeps one reviewed table in ``transforms/standardize/data/nicknames.yml``; linking adds the groups of
``data/nicknames.yml`` here and a company's own groups (``nicknames:`` in its linkage.yml). A name is looked up by
its Latin match key, so one spelling covers its transliterations; names in scripts without letter case (Persian)
are looked up as written, because their Latin skeleton ("علی" -> "li") would collide with unrelated names.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from functools import cache

from transforms.linkage._data import load_table
from transforms.standardize._data import load_table as load_standardize_table
from transforms.standardize._data import string_list
from transforms.standardize.names import name_key, nickname_key

#: The key a name is looked up by: its Latin match key, or for uncased scripts its folded written form.
lookup_key = nickname_key


def _groups_of(
    tables: Iterable[list[list[str]]], key_of: Callable[[str], str] = nickname_key, what: str = "nicknames"
) -> dict[str, frozenset[str]]:
    """Key of every listed name -> the labels (keys of each group's first name) of the groups it is in."""
    found: dict[str, set[str]] = {}
    for table in tables:
        for group in table:
            names = string_list(group, f"{what}: groups")
            label = key_of(names[0])
            for name in names:
                key = key_of(name)
                if key:
                    found.setdefault(key, set()).add(label)
    return {key: frozenset(labels) for key, labels in found.items()}


@cache
def _bundled() -> tuple[tuple[str, ...], ...]:
    groups = [*load_standardize_table("nicknames.yml")["groups"], *load_table("nicknames.yml")["groups"]]
    return tuple(tuple(g) for g in groups)


@cache
def nickname_table(extra: tuple[tuple[str, ...], ...] = ()) -> Mapping[str, frozenset[str]]:
    """Lookup key of every listed name -> the labels of the groups it belongs to (bundled plus ``extra``)."""
    return _groups_of([[list(g) for g in _bundled()], [list(g) for g in extra]])


def nickname_label(values: Iterable[str | None], table: Mapping[str, frozenset[str]]) -> str | None:
    """The groups of the first word of any of ``values``, as one '|'-joined sorted text; None when in none."""
    labels: set[str] = set()
    for value in values:
        if not value:
            continue
        words = str(value).split()
        if words:
            labels |= table.get(lookup_key(words[0]), frozenset())
    return "|".join(sorted(labels)) if labels else None


@cache
def surname_variant_table(extra: tuple[tuple[str, ...], ...] = ()) -> Mapping[str, frozenset[str]]:
    """Latin match key of every listed surname -> the labels of its romanization groups (``data/surname_variants.yml``
    plus ``extra``, a company's own groups). Keys are ``name_key``s, those of the records' ``surname_key``."""
    bundled = [list(g) for g in load_table("surname_variants.yml")["groups"]]
    return _groups_of([bundled, [list(g) for g in extra]], key_of=name_key, what="surname_variants")


def variants_agree(left: object, right: object, table: Mapping[str, frozenset[str]]) -> bool:
    """Whether two surname keys are forms of one surname in ``table`` (share a group)."""
    if not isinstance(left, str) or not isinstance(right, str):
        return False
    return bool(table.get(left, frozenset()) & table.get(right, frozenset()))
