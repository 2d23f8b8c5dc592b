"""Country names and codes, in several languages, to ISO 3166-1 alpha-2.

Country columns hold "Polska", "Poland", "PL", "POL", "Россия", "ایران" or "中国"; phone regions, postcode formats
and tax-id rules are keyed by the two-letter code, so every spelling has to become one code first.
"""

from __future__ import annotations

from functools import cache

import phonenumbers

from transforms.standardize._data import load_table, string_list
from transforms.standardize.text import accent_key, normalize_text


def _key(text: str) -> str:
    return " ".join(accent_key(text).replace(".", "").split())


@cache
def _names() -> dict[str, str]:
    """Folded name, three-letter code or alias -> ISO alpha-2."""
    table = load_table("countries.yml")
    index: dict[str, str] = {}
    for code, names in table["names"].items():
        if not (isinstance(code, str) and len(code) == 2 and code.isupper()):
            raise ValueError(f"countries.yml: {code!r} is not a two-letter upper-case code (quote NO, ON...)")
        for name in string_list(names, f"countries.yml: names[{code!r}]"):
            index[_key(name)] = code
    for alias, code in table["aliases"].items():
        index[_key(str(alias))] = str(code)
    return index


def country_from_name(value: object) -> str | None:
    """ISO alpha-2 of a country written as a name or a three-letter code; bare two-letter codes are not read,
    so that "IL" at the end of an address stays Illinois."""
    text = normalize_text(value)
    return None if text is None else _names().get(_key(text))


def country_to_iso2(value: object) -> str | None:
    """ISO 3166-1 alpha-2 for a country written as a code (PL, POL, UK) or a name in one of several languages
    (Polska, Poland, Россия, ایران, 中国); None when it is not recognised."""
    text = normalize_text(value)
    if text is None:
        return None
    key = _key(text)
    known = _names().get(key)
    if known is not None:
        return known
    code = key.upper()
    return code if len(code) == 2 and code in phonenumbers.SUPPORTED_REGIONS else None
