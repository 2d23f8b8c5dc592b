"""Read money amounts written the way people and accounting exports write them.

``1 234,56``, ``1.234,56``, ``1,234.56``, ``-50,00 zł``, ``(120.00)`` and ``PLN 100`` all occur. An amount
is read only when it has one meaning: a currency word is allowed before or after the number, never
inside it; the decimal separator is the last of ``.``/``,`` when one or two digits follow it; digit
groups are three digits long. Anything else (``1e308``, ``0,001``, ``100 USD 200``, ``1 234.567``,
``1,234`` that may be a thousand or one and a quarter) is not a number: the caller records a field
issue and leaves the amount empty, rather than loading a wrong amount.
"""

from __future__ import annotations

import re

import pandas as pd

#: Currency words and signs allowed around (never inside) the number.
_CURRENCY = r"(?:[A-Za-z]{3}|zł|zl|руб\.?|р\.|₽|€|\$|£|¥|₴|₸|₹|kr|Kč|Ft|lei|лв)"
_SHAPE = re.compile(rf"^\(?[-+]?\s*(?:{_CURRENCY}\s*)?[-+]?\s*(?P<num>[0-9][0-9 .,']*)\s*(?:{_CURRENCY})?\s*-?\)?$")
#: Characters people put between digit groups (spaces of every width, apostrophe).
_GROUP_SPACES = re.compile(r"(?<=\d)[ \u00a0\u2009\u202f'](?=\d{3}(?:\D|$))")
_PLAIN = re.compile(r"^\d+$")
_DECIMAL = re.compile(r"^(?P<whole>\d+)[.,](?P<frac>\d{1,2})$")
_GROUPED = re.compile(r"^(?P<whole>\d{1,3}(?P<sep>[.,])\d{3}(?:(?P=sep)\d{3})*)(?:[.,](?P<frac>\d{1,2}))?$")
#: More digits than a float keeps exactly: such an amount is a typo or a code, not money.
_MAX_DIGITS = 15


def parse_amount(value: str | None) -> float | None:
    """The amount as a float, or None when the text holds no number or more than one reading of it."""
    if value is None:
        return None
    text = " ".join(str(value).replace("\u2212", "-").split())
    if not text:
        return None
    text = _GROUP_SPACES.sub("", text)
    shape = _SHAPE.match(text)
    if shape is None:
        return None
    negative = (text.startswith("(") and text.endswith(")")) or "-" in text.replace(shape["num"], "")
    if text.startswith("(") != text.endswith(")"):
        return None
    number = _read_number(shape["num"].strip())
    if number is None:
        return None
    return -number if negative else number


def _read_number(core: str) -> float | None:
    if " " in core or "'" in core:
        return None  # a space left between digits that do not form groups of three: two numbers
    whole, frac = None, ""
    if _PLAIN.match(core):
        whole = core
    elif m := _DECIMAL.match(core):
        whole, frac = m["whole"], m["frac"]
    elif (m := _GROUPED.match(core)) and (m["frac"] is not None or core.count(m["sep"]) >= 2):
        if m["frac"] is not None and core[-len(m["frac"]) - 1] == m["sep"]:
            return None  # the same sign separates groups and decimals
        whole, frac = m["whole"].replace(m["sep"], ""), m["frac"] or ""
    if whole is None or len(whole.lstrip("0")) + len(frac) > _MAX_DIGITS:
        return None
    return float(f"{whole}.{frac or '0'}")


def parse_amounts(values: pd.Series) -> pd.Series:
    """Vectorized :func:`parse_amount`, computed once per distinct text."""
    uniques = values.dropna().unique()
    lookup = {v: parse_amount(v) for v in uniques}
    return values.map(lookup).astype("float64")
