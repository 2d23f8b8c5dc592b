"""Phone numbers to E.164, as far as the written number allows.

A phone number is the strongest link between records of one customer, so it must be compared in one form
(+48601234567) whatever was typed: spaces and brackets, a "tel." label, a national trunk prefix, "00" for "+", or a
number Excel turned into a float and stripped of its leading zero. Validation is phonenumbers' (Google's
libphonenumber metadata), not hand-written rules.
"""

from __future__ import annotations

import math
import numbers
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import lru_cache

import pandas as pd
import phonenumbers
from phonenumbers import NumberParseException, PhoneMetadata, PhoneNumberFormat, PhoneNumberType

from transforms.standardize._data import load_table, string_list
from transforms.standardize.countries import country_to_iso2
from transforms.standardize.text import normalize_text
from transforms.standardize.vectorize import results_frame_with


@dataclass(frozen=True, slots=True)
class PhoneResult:
    """The number in E.164, or None; ``issue`` says what was wrong with the written value.

    ``e164`` set together with an issue is a usable number with a warning: ``letters`` (words around the number
    were dropped) or ``multiple_numbers`` (the cell held several numbers; the first valid one is returned, all of
    them are available from ``extract_phones``). Without ``e164`` the issue is why: ``letters``, ``too_short``
    (fewer than 7 digits), ``too_long`` (more than 15), ``invalid`` (no valid number in the region's numbering plan),
    ``ambiguous_country`` (a valid number in several of the company's countries' plans, none clearly best; linkage
    still compares its national number). A missing value has neither.
    """

    e164: str | None
    issue: str | None


_LABELS = load_table("phone_labels.yml")


def _words(key: str) -> str:
    return "|".join(re.escape(w) for w in sorted(string_list(_LABELS[key], f"phone_labels.yml: {key}"), key=len)[::-1])


_LETTER = r"[^\W\d_]"
_LABEL_RE = re.compile(rf"(?<!{_LETTER})(?:{_words('labels')})(?!{_LETTER})\.?:?", re.IGNORECASE)
_EXTENSION_RE = re.compile(
    rf"(?:(?<!{_LETTER})(?:{_words('extension_markers')})(?!{_LETTER})\.?:?|#)\s*\d{{1,6}}\)?\s*$", re.IGNORECASE
)
_ALTERNATIVES_RE = re.compile(rf"[,;|\n/]|(?<!{_LETTER})(?:{_words('alternatives')})(?!{_LETTER})", re.IGNORECASE)
_SCIENTIFIC_RE = re.compile(r"^[+]?\d+(?:[.,]\d+)?[eE][+]?\d+$")
_FLOAT_ZERO_RE = re.compile(r"^(\+?\d+)[.,]0+$")
_NON_DIGITS = re.compile(r"\D")
_DIGIT_GROUPS = re.compile(r"\d+")
_HAS_LETTER = re.compile(_LETTER)
# Letters typed for the digits they look like (O for 0, I or l for 1), inside a group that has digits: "4O4".
_LOOKALIKES = str.maketrans("OoОоIlІ|", "00001111")
_LOOKALIKE_GROUP = re.compile(rf"(?<!{_LETTER})[\dOoОоIlІ|]*\d[\dOoОоIlІ|]*(?!{_LETTER})")

MIN_DIGITS = 7
MAX_DIGITS = 15


def _number_text(number: float) -> str | None:
    if not math.isfinite(number):
        return None
    return str(int(number)) if number.is_integer() else repr(number)


def _written_number(text: str) -> str:
    """Text of a number cell written back as digits: "6.01234567E8" -> "601234567", "601234567.0" -> "601234567"."""
    if _SCIENTIFIC_RE.match(text):
        try:
            number = Decimal(text.replace(",", "."))
        except InvalidOperation:
            return text
        if number == number.to_integral_value():
            return str(int(number))
    zero_fraction = _FLOAT_ZERO_RE.match(text)
    return zero_fraction.group(1) if zero_fraction else text


def _as_text(value: object) -> str | None:
    """The written number as text; numbers as Excel stores them (601234567.0, "6.01234567E8") made integral."""
    if value is None or value is pd.NA:
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return str(int(value))
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _number_text(float(value))
    text = normalize_text(value)
    return None if text is None else _written_number(text)


def _region(region: object) -> str | None:
    """The region as an ISO alpha-2 code; a country name ("Polska") is accepted too."""
    if not isinstance(region, str):
        return None
    code = region.strip().upper()
    return code if len(code) == 2 and code.isalpha() else country_to_iso2(region)


#: Lines a person answers; a reading of any other kind (premium rate, shared cost, pager ...) is a customer's phone
#: only when no reading of these kinds is valid anywhere (a 0912 Iranian mobile is a premium number in the UK).
_PERSONAL_TYPES = frozenset(
    {
        PhoneNumberType.FIXED_LINE,
        PhoneNumberType.MOBILE,
        PhoneNumberType.FIXED_LINE_OR_MOBILE,
        PhoneNumberType.PERSONAL_NUMBER,
        PhoneNumberType.VOIP,
    }
)


@lru_cache(maxsize=1 << 18)
def _valid_reading(candidate: str, region: str | None) -> tuple[str, bool] | None:
    """E.164 of one reading if phonenumbers finds it valid, and whether it is a line a person answers; cached, as
    one number is written in many ways."""
    try:
        number = phonenumbers.parse(candidate, region)
    except NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    personal = phonenumbers.number_type(number) in _PERSONAL_TYPES
    return phonenumbers.format_number(number, PhoneNumberFormat.E164), personal


def _lost_trunk_zero(e164: str, digits: str) -> bool:
    """The plan writes this number with a trunk zero the written digits lack (an Iranian 0917 ... written 917 ...,
    unlike a Chinese mobile, written without one)."""
    national = phonenumbers.format_number(phonenumbers.parse(e164, None), PhoneNumberFormat.NATIONAL)
    return national.startswith("0") and not digits.startswith("0")


@lru_cache(maxsize=1 << 16)
def _likeness(e164: str, groups: tuple[int, ...]) -> tuple[int, int]:
    """How a valid reading fits the way the number was written, lower is better: whether the written groups of
    digits differ from the plan's national format ("212.446.5580" is a US (212) 446-5580, not a Shanghai
    021 2446 5580; the first group may hold a trunk prefix or country code), and whether it is no mobile line."""
    number = phonenumbers.parse(e164, None)
    national = tuple(
        len(g) for g in _DIGIT_GROUPS.findall(phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL))
    )
    metadata = PhoneMetadata.metadata_for_region(phonenumbers.region_code_for_number(number) or "")
    trunk = len(metadata.national_prefix or "") if metadata is not None else 0
    forms = {national}  # the plan's groups, and without the trunk prefix ("8 (917) ...", "0917 ...")
    if trunk and national[0] > trunk:
        forms.add((national[0] - trunk, *national[1:]))
    elif trunk and national[0] == trunk:
        forms.add(national[1:])
    fits = len(groups) > 1 and (groups in forms or groups[1:] in forms)  # or after a country code ("1-312-...")
    mobile = phonenumbers.number_type(number) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)
    return (0 if fits else 1), (0 if mobile else 1)


def _valid_e164(candidate: str, region: str | None) -> str | None:
    """E.164 of one reading if phonenumbers finds it valid."""
    reading = _valid_reading(candidate, region)
    return reading[0] if reading else None


#: How far a reading is from the digits as written: as written (or after an explicit "00"), a national number
#: repaired (its trunk zero put back after a number cell dropped it, or a trunk zero dropped where the plan has
#: none), an international number that lost its "+".
AS_WRITTEN, REPAIRED, PLUS_ASSUMED = 0, 1, 2


def _candidates(digits: str, plus: bool, region: str | None) -> list[tuple[str, int]]:
    """Readings of the digits to try in ``region``, most literal first, each with how far it is from the writing."""
    if plus:
        return [("+" + digits, AS_WRITTEN)]
    if region is None:
        return [("+" + digits[2:], AS_WRITTEN)] if digits.startswith("00") else [("+" + digits, AS_WRITTEN)]
    readings = [(digits, AS_WRITTEN)]
    metadata = PhoneMetadata.metadata_for_region(region)
    trunk = metadata.national_prefix if metadata is not None else None
    if trunk == "0" and not digits.startswith(trunk):
        readings.append((trunk + digits, REPAIRED))  # a national number that lost its leading zero in a number cell
    if not trunk and digits.startswith("0") and not digits.startswith("00"):
        readings.append((digits[1:], REPAIRED))  # a trunk zero written out of habit where the plan has none
    if digits.startswith("00"):
        readings.append(("+" + digits[2:], AS_WRITTEN))  # 00, the international prefix of most countries
    elif len(digits) >= 10:
        readings.append(("+" + digits, PLUS_ASSUMED))  # an international number that lost its "+" or "00"
    return readings


def _regions(region: object) -> tuple[str, ...]:
    """One region or several in order of preference, as ISO alpha-2 codes, each once; unknown ones dropped."""
    written = region if isinstance(region, tuple | list) else (region,)
    codes = (_region(r) for r in written)
    return tuple(dict.fromkeys(c for c in codes if c is not None))


def _own_code(candidate: str, region: str) -> bool:
    """The reading starts with the region's own country code (48601234567 in Poland)."""
    return candidate.startswith(f"+{phonenumbers.country_code_for_region(region)}")


#: What ``_read`` returns for a number valid in several plans, none clearly best.
AMBIGUOUS = "ambiguous"


def _read(
    digits: str, plus: bool, regions: tuple[str, ...], others: tuple[str, ...], groups: tuple[int, ...]
) -> str | None:
    """The number in E.164, ``AMBIGUOUS``, or None.

    Read in ``regions`` in turn (the row's country, then the source's region): the first reading valid there wins,
    an international one only with the region's own country code. Otherwise every reading valid in any of those
    regions or the company's ``others`` is a candidate, and one is taken only when it is the only one or clearly
    the best: valid as written where the others need a repair or a "+" assumed, then written in the groups of its
    plan's format (``groups``: the lengths of the written groups of digits), then a mobile line. A number whose
    last group is a lone digit is not looked for elsewhere: no plan writes one, a digit typed too many does."""
    if plus or not (regions or others):
        return next(filter(None, (_valid_e164(c, None) for c, _ in _candidates(digits, plus, None))), None)
    fallback: str | None = None  # the first valid reading of a kind no person answers
    for region in regions:
        for candidate, distance in _candidates(digits, plus, region):
            if distance < PLUS_ASSUMED or _own_code(candidate, region):
                reading = _valid_reading(candidate, region)
                if reading is not None and reading[1]:
                    return reading[0]
                fallback = fallback or (reading[0] if reading else None)
    if len(groups) > 1 and groups[-1] == 1:
        return fallback  # "609 579 841 6": a digit typed too many, not a number of another plan
    found: dict[str, int] = {}
    for region in (*regions, *others):
        for candidate, distance in _candidates(digits, plus, region):
            if region in regions and distance < PLUS_ASSUMED:
                continue  # already tried
            reading = _valid_reading(candidate, region)
            if reading is not None and reading[1]:
                far = REPAIRED if distance == AS_WRITTEN and _lost_trunk_zero(reading[0], digits) else distance
                found[reading[0]] = min(found.get(reading[0], far), far)
                break
            fallback = fallback or (reading[0] if reading else None)
    if not found:
        return fallback
    ranked = {e164: (distance, *_likeness(e164, groups)) for e164, distance in found.items()}
    best = min(ranked.values())
    winners = [e164 for e164, rank in ranked.items() if rank == best]
    return winners[0] if len(winners) == 1 else AMBIGUOUS


def _cleaned(text: str) -> tuple[str, bool]:
    """The written number without labels, extension and "(0)", look-alike letters read as digits; and whether
    letters are left."""
    has_letters = False
    if _HAS_LETTER.search(text) or "#" in text:
        text = _LABEL_RE.sub(" ", _EXTENSION_RE.sub("", text))
        has_letters = _HAS_LETTER.search(text) is not None
        text = _LOOKALIKE_GROUP.sub(lambda m: m.group(0).translate(_LOOKALIKES), text)
    return text.replace("(0)", " "), has_letters


def _standardize_one(text: str, regions: tuple[str, ...], others: tuple[str, ...] = ()) -> PhoneResult:
    text, has_letters = _cleaned(text)
    digits = _NON_DIGITS.sub("", text)
    plus = text.lstrip(" -.:").startswith("+")
    significant = len(digits) - 2 if not plus and digits.startswith("00") else len(digits)
    if significant >= MIN_DIGITS and significant <= MAX_DIGITS:
        groups = tuple(len(g) for g in _DIGIT_GROUPS.findall(text))
        e164 = _read(digits, plus, regions, others, groups)
        if e164 == AMBIGUOUS:
            return PhoneResult(None, "letters" if has_letters else "ambiguous_country")
        if e164 is not None:
            return PhoneResult(e164, "letters" if has_letters else None)
    if has_letters:
        return PhoneResult(None, "letters")
    if significant < MIN_DIGITS:
        return PhoneResult(None, "too_short")
    if significant > MAX_DIGITS:
        return PhoneResult(None, "too_long")
    return PhoneResult(None, "invalid")


def _split_numbers(text: str) -> list[str]:
    """The numbers in a cell that holds several ("601 234 567; 22 123 45 67"); [text] when it holds one.

    A part counts as a number only with at least 7 digits, so "22/123-45-67" (an area code and a slash) stays whole.
    """
    if len(text) < 2 * MIN_DIGITS:
        return [text]
    parts = [p for p in _ALTERNATIVES_RE.split(text) if len(_NON_DIGITS.sub("", p)) >= MIN_DIGITS]
    return parts if len(parts) > 1 else [text]


#: One region, or several in order of preference (the row's country, then the source's region).
Regions = str | tuple[str | None, ...] | None


def extract_phones(value: str | float | None, region: Regions, others: tuple[str, ...] = ()) -> list[PhoneResult]:
    """Every number written in one cell, each standardized; [] for a missing value."""
    text = _as_text(value)
    if text is None:
        return []
    codes, other_codes = _regions(region), _regions(others)
    return [_standardize_one(part, codes, other_codes) for part in _split_numbers(text)]


def standardize_phone(value: str | int | float | None, region: Regions, others: tuple[str, ...] = ()) -> PhoneResult:
    """One written phone number in E.164, read in ``region``'s numbering plan (ISO 3166 alpha-2, e.g. "PL").

    Tried in turn: the number as written, with the region's trunk prefix put back (a UK 7911123456 or an Iranian
    9121234567 from a number cell), and with "+" put back (48601234567.0). The first reading valid under
    phonenumbers wins. Labels (tel., mob., тел., تلفن) and extensions (ext. 12, wew. 12, доб. 12) are dropped;
    the extension is not kept.

    ``region`` may be several regions in order of preference (the row's own country, then the source's). A number
    valid in none of them is read in the company's ``others`` (the countries it deals with): a US number in a
    British sheet, a Polish mobile in a Russian journal. There it is accepted only when one reading is valid, or
    one is clearly best; a number that several plans read equally well stays without E.164 (``invalid``).
    """
    found = extract_phones(value, region, others)
    if not found:
        return PhoneResult(None, None)
    if len(found) == 1:
        return found[0]
    first_valid = next((r for r in found if r.e164 is not None), None)
    return PhoneResult(first_valid.e164, "multiple_numbers") if first_valid else found[0]


def standardize_phones(values: pd.Series, regions: pd.Series | Regions, others: tuple[str, ...] = ()) -> pd.DataFrame:
    """``standardize_phone`` over a column: columns ``phone_e164`` and ``phone_issue``, on the values' index.

    ``regions`` is one region (or tuple of regions) for all rows or a column of them (aligned on the index);
    ``others`` are the company's other countries, tried last. Each distinct (value, regions) pair is parsed once,
    which is what makes a million rows take seconds.
    """
    return results_frame_with(
        values,
        regions,
        lambda value, region: standardize_phone(value, region, others),
        {"phone_e164": "e164", "phone_issue": "issue"},
    )


#: Digits of a national number compared when the country is unsure: the subscriber's part, which survives a country
#: code, a trunk prefix or "00" written (or not) in front of it.
NATIONAL_KEY_DIGITS = 9
_E164_FIRST = re.compile(r"^\+(\d{7,15})(?:\s|$)")


@lru_cache(maxsize=1 << 16)
def national_key(written: str) -> str | None:
    """The last nine digits of a phone's national significant number (all of it when shorter), for comparing
    phones whatever country they were read in: "+79179319041" (read in Russia) and "917-931-9041" (a US number
    several plans read) both give "179319041".

    ``written`` is an E.164 number, or the number as written when no E.164 could be had, or the two joined by a
    space (E.164 first): the E.164 is used when there is one. A written number gives a key only with at least
    nine digits (its first number when the cell holds several; extension and labels dropped) that are not a
    placeholder ("000-000-000"): many records share one, and it says nothing of who they are.
    """
    e164 = _E164_FIRST.match(written)
    if e164 is not None:
        try:
            number = phonenumbers.parse("+" + e164.group(1), None)
        except NumberParseException:
            number = None
        if number is not None and phonenumbers.is_valid_number(number):
            return phonenumbers.national_significant_number(number)[-NATIONAL_KEY_DIGITS:]
    text = _as_text(written)
    if text is None:
        return None
    digits = _NON_DIGITS.sub("", _cleaned(_split_numbers(text)[0])[0])[-NATIONAL_KEY_DIGITS:]
    return digits if len(digits) == NATIONAL_KEY_DIGITS and not _placeholder(digits) else None


def _placeholder(digits: str) -> bool:
    """Digits typed to fill a phone cell rather than a number: "000-000-000", "111 111 111", "123456789"."""
    return len(set(digits)) < 4 or digits in "01234567890123456789" or digits in "98765432109876543210"
