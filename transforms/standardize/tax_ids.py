"""Tax identification numbers: one written form, the kind, and the checksum where one is defined.

A tax id is the best link between a customer in the sales spreadsheets and the same company in accounting, but it
is written "PL1234567890", "123-456-78-90", "NIP: 123 45 67 890" or stored as a number that lost a leading zero.
Checksums (Polish NIP, Russian INN, computed by python-stdnum) separate a typo from a real number; other countries'
ids are kept normalized with no claim about their validity.
"""

from __future__ import annotations

import numbers
import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

import pandas as pd
from stdnum.pl import nip
from stdnum.ru import inn

from transforms.standardize._data import load_table, string_list
from transforms.standardize.countries import country_to_iso2
from transforms.standardize.text import normalize_text
from transforms.standardize.vectorize import results_frame_with

TaxIdKind = Literal["NIP", "INN", "VAT", "OTHER"]


@dataclass(frozen=True, slots=True)
class TaxIdResult:
    """``tax_id``: the id's digits (letters kept where the id has them) without a country prefix; ``kind``: NIP
    (Poland), INN (Russia), VAT (another EU VAT number), OTHER, or None when not known (ten digits with no country
    that are valid both as a NIP and as an INN); ``is_valid``: the checksum's verdict, None when no checksum is
    known for the kind."""

    tax_id: str | None
    kind: TaxIdKind | None
    is_valid: bool | None


def _digits_only(s: str) -> str | None:
    text = normalize_text(s)
    if text is None:
        return None
    compact = re.sub(r"[\s./-]", "", text.upper())
    return compact if compact.isdigit() else None


def validate_nip(s: str) -> bool:
    """Whether ``s`` (separators and a PL prefix allowed) is a Polish NIP with a correct check digit.

    The check digit is python-stdnum's (weighted sum modulo 11). Ten equal digits pass the arithmetic but are
    placeholders, and are refused.
    """
    text = normalize_text(s)
    if text is None:
        return False
    digits = _digits_only(text[2:] if text.upper().startswith("PL") else text)
    if digits is None or len(digits) != 10 or len(set(digits)) == 1:
        return False
    return bool(nip.is_valid(digits))


def validate_inn(s: str) -> bool:
    """Whether ``s`` is a Russian INN with correct check digits: 10 digits (organisations, one check digit) or 12
    (individuals, two), checked by python-stdnum. Equal digits throughout are placeholders, and are refused."""
    text = normalize_text(s)
    if text is None:
        return False
    digits = _digits_only(text[2:] if text.upper().startswith("RU") else text)
    if digits is None or len(set(digits)) == 1:
        return False
    return bool(inn.is_valid(digits))


@dataclass(frozen=True)
class _Tables:
    label_re: re.Pattern[str]
    label_country: dict[str, str | None]
    eu_prefixes: frozenset[str]
    prefixes: frozenset[str]
    written_formats: tuple[tuple[re.Pattern[str], str], ...]


@cache
def _tables() -> _Tables:
    table = load_table("tax_ids.yml")
    label_country = {str(label).casefold(): country for label, country in table["labels"].items()}
    alternatives = "|".join(re.escape(label) for label in sorted(label_country, key=len, reverse=True))
    eu = frozenset(string_list(table["eu_vat_prefixes"], "tax_ids.yml: eu_vat_prefixes"))
    return _Tables(
        label_re=re.compile(rf"^({alternatives})(?![^\W\d_])\s*[.:#№]?\s*", re.IGNORECASE),
        label_country=label_country,
        eu_prefixes=eu,
        prefixes=eu | frozenset(string_list(table["other_prefixes"], "tax_ids.yml: other_prefixes")),
        written_formats=tuple((re.compile(f["regex"]), str(f["country"])) for f in table["written_formats"]),
    )


def _written(value: object) -> str | None:
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return normalize_text(value)


def _without_prefix(text: str, country: str | None) -> tuple[str, str | None]:
    """The id's characters without label, separators and country prefix, and the country they tell."""
    tables = _tables()
    code = country_to_iso2(country) if country else None
    label = tables.label_re.match(text)
    if label:
        code = tables.label_country[label.group(1).casefold()] or code
        text = text[label.end() :]
    compact = re.sub(r"[\s./-]", "", text.upper())
    prefix = compact[:2]
    if prefix in tables.prefixes and compact[2:3].isdigit():
        code, compact = ("GR" if prefix == "EL" else prefix), compact[2:]
    if code is None:
        code = next((c for pattern, c in tables.written_formats if pattern.fullmatch(text.strip())), None)
    return compact, code


def _inn(compact: str) -> TaxIdResult:
    if len(compact) in (9, 11) and compact.isdigit() and validate_inn("0" + compact):
        compact = "0" + compact
    return TaxIdResult(compact, "INN", validate_inn(compact))


def _by_checksum(compact: str) -> TaxIdResult:
    """With no country: whichever of NIP and INN the checksum supports; neither or both tells nothing."""
    nip = len(compact) == 10 and validate_nip(compact)
    inn = validate_inn(compact)
    if nip != inn:
        return TaxIdResult(compact, "NIP" if nip else "INN", True)
    return TaxIdResult(compact, None, True) if nip else TaxIdResult(compact, "OTHER", None)


def standardize_tax_id(value: object, country: str | None) -> TaxIdResult:
    """The tax id written in ``value``, for a customer in ``country`` (ISO code or name; None when unknown).

    A written prefix ("PL", "DE", "EL") or label ("NIP", "ИНН") overrides ``country``; with no country at all, a
    grouping that only one country uses tells it (123-456-78-90 is a Polish NIP). Polish ids are checked as
    NIP, Russian as INN (9 or 11 digits get back the leading zero a number cell drops, when that makes the INN
    valid: INNs of some regions start with 0), other EU ids are VAT with no checksum. With no country, ten digits
    are read as NIP or INN by whichever checksum holds, and twelve as INN.
    """
    text = _written(value)
    compact, code = _without_prefix(text, country) if text else ("", None)
    if not compact:
        return TaxIdResult(None, None, None)
    if code == "PL":
        return TaxIdResult(compact, "NIP", validate_nip(compact))
    if code == "RU":
        return _inn(compact)
    if code is not None and (code in _tables().eu_prefixes or code == "GR"):
        return TaxIdResult(compact, "VAT", None)
    if code is None and compact.isdigit() and len(compact) in (10, 12):
        return _by_checksum(compact)
    return TaxIdResult(compact, "OTHER", None)


def standardize_tax_ids(values: pd.Series, countries: pd.Series | str | None) -> pd.DataFrame:
    """``standardize_tax_id`` over a column, once per distinct (value, country): columns tax_id, tax_id_kind,
    tax_id_is_valid."""
    return results_frame_with(
        values,
        countries,
        standardize_tax_id,
        {"tax_id": "tax_id", "tax_id_kind": "kind", "tax_id_is_valid": "is_valid"},
    )
