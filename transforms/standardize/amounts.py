"""Read money amounts written the way people and accounting exports write them.

``1 234,56``, ``1.234,56``, ``1,234.56``, ``-50,00 zł``, ``(120.00)`` and ``PLN 100`` all occur; the
decimal separator is the last of ``.``/``,`` when it is followed by one or two digits.
"""

from __future__ import annotations

import re

import pandas as pd

_KEEP = re.compile(r"[^0-9,.\-()]")


def parse_amount(value: str | None) -> float | None:
    """The amount as a float, or None when the text holds no number."""
    if value is None:
        return None
    text = _KEEP.sub("", str(value).replace("\u2212", "-"))
    negative = (text.startswith("(") and text.endswith(")")) or text.startswith("-") or text.endswith("-")
    text = text.strip("()-")
    if not text or not any(ch.isdigit() for ch in text):
        return None
    last_sep = max(text.rfind(","), text.rfind("."))
    if last_sep >= 0 and 1 <= len(text) - last_sep - 1 <= 2:
        whole, frac = text[:last_sep], text[last_sep + 1 :]
    else:
        whole, frac = text, ""
    whole = whole.replace(",", "").replace(".", "")
    if not whole and not frac:
        return None
    try:
        number = float(f"{whole or '0'}.{frac or '0'}")
    except ValueError:
        return None
    return -number if negative else number


def parse_amounts(values: pd.Series) -> pd.Series:
    """Vectorized :func:`parse_amount`, computed once per distinct text."""
    uniques = values.dropna().unique()
    lookup = {v: parse_amount(v) for v in uniques}
    return values.map(lookup).astype("float64")
