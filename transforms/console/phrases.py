"""Comparison levels in words a steward reads: "same date of birth", "phone one digit off".

The levels themselves (and their short labels) are declared by the linkage settings
(``Comparison.level_labels``); this only turns a comparison's name and a level's label into a sentence.
"""

from __future__ import annotations

import re

#: What each comparison of the bundled linkage.yml compares; a company's own comparison falls back to its name.
NOUNS: dict[str, str] = {
    "name": "name",
    "given_name": "given name",
    "patronymic": "patronymic",
    "dob": "date of birth",
    "phone": "phone",
    "email": "e-mail",
    "postcode": "postcode",
    "city": "city",
    "street": "street",
    "tax_id": "tax id",
    "company": "company",
}
_DIGITS = frozenset({"phone", "tax_id", "postcode", "dob"})
_DISTANCE = re.compile(r"distance <= (\d+)")
_SIMILAR = re.compile(r"\w+ >= ([\d.]+)")
_NUMBERS = {1: "one", 2: "two", 3: "three"}


def noun(comparison: str) -> str:
    """The thing a comparison compares, in words."""
    return NOUNS.get(comparison, comparison.replace("_", " "))


#: Levels whose words follow from the label alone.
_TEMPLATES = {
    "missing": "{what} missing on one side",
    "equal": "same {what}",
    "different": "different {what}",
    "nickname": "{what} a nickname of the other",
    "initial agrees": "{what}: an initial agrees with the other",
    "one digit off": "{what} one digit off",
    "day and month swapped": "{what} with day and month swapped",
}


def level_phrase(comparison: str, label: str) -> str:
    """A comparison's level as a steward reads it."""
    what = noun(comparison)
    if label in _TEMPLATES:
        return _TEMPLATES[label].format(what=what)
    if m := _DISTANCE.fullmatch(label):
        n = int(m.group(1))
        unit = "digit" if comparison in _DIGITS else "character"
        return f"{what} {_NUMBERS.get(n, str(n))} {unit}{'s' if n > 1 else ''} off"
    if _SIMILAR.fullmatch(label):
        return f"{what} nearly the same"
    if comparison == "name":
        return {
            "both similar": "given name and surname both similar",
            "same surname, nickname": "same surname, given name a nickname of the other",
        }.get(label, label)
    return f"{what}: {label}"
