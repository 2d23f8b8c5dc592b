"""Dates as people and spreadsheets write them, read without silent guesses.

The same date arrives as an Excel date cell (ISO text), an Excel serial number (30864), "02.07.1984", "2/7/84",
"19840702", "1984年7月2日" or "2 lipca 1984". Most of these are unambiguous once the source's day/month order is
known; when it is not known and both readings are valid (03/04/1985), the date is reported "ambiguous" rather than
guessed, because a wrong date of birth links the wrong people.
"""

from __future__ import annotations

import datetime as dt
import math
import numbers
import re
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from transforms.standardize._data import load_table, string_list
from transforms.standardize.text import accent_key, normalize_text
from transforms.standardize.vectorize import results_frame

DateOrder = Literal["DMY", "MDY", "YMD"]
DateIssue = Literal["unparseable", "ambiguous", "impossible", "out_of_range"]

MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(2099, 12, 31)
EXCEL_SERIAL_RANGE = (1, 80000)
_EXCEL_EPOCH = dt.date(1899, 12, 30)  # serial 1 is 1900-01-01 only after Excel's fictitious 1900-02-29


@dataclass(frozen=True, slots=True)
class DateResult:
    """The date read, or None with the reason: ``unparseable`` (not a date format), ``ambiguous`` (several
    valid readings, e.g. day and month when the order is unknown, or a bare 1984: a year or an Excel serial?),
    ``impossible`` (31.02.1990, month 13) or ``out_of_range`` (outside the accepted dates)."""

    date: dt.date | None
    issue: DateIssue | None


_TIME = r"(?:[T\s,]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?m\.?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_ISO = re.compile(rf"^(\d{{4}})-(\d{{1,2}})-(\d{{1,2}}){_TIME}$", re.IGNORECASE)
_EIGHT_DIGITS = re.compile(r"^\d{8}$")
_SERIAL = re.compile(r"^([1-9]\d{0,4})(?:[.,](\d+))?$")
_CJK = re.compile(rf"^(\d{{2,4}})\s*[年년]\s*(\d{{1,2}})\s*[月월]\s*(\d{{1,2}})\s*[日일号號]?{_TIME}$", re.IGNORECASE)
_YEAR_WORD = r"(?:\s*(?:r|г|р|y)\.?|\s*(?:roku|rok|года|год|року))?"
_NUMERIC = re.compile(
    rf"^(\d{{1,4}})\s*([./\-\s])\s*(\d{{1,2}})\s*\2\s*(\d{{1,4}})\.?{_YEAR_WORD}{_TIME}$", re.IGNORECASE
)
_TRAILING_TIME = re.compile(r"[T\s,]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?\s*(?:[ap]\.?m\.?)?$", re.IGNORECASE)
_TOKENS = re.compile(r"[^\W\d_]+|\d+")

_MONTH_TABLE = load_table("month_names.yml")
_MONTHS = {
    accent_key(name): int(number)
    for number, names in _MONTH_TABLE["months"].items()
    for name in string_list(names, f"month_names.yml: months[{number}]")
}
_IGNORABLE = frozenset(accent_key(w) for w in string_list(_MONTH_TABLE["ignorable"], "ignorable"))


@dataclass(frozen=True, slots=True)
class _Reading:
    """How to read a value: the order, the two-digit-year pivot and the accepted range."""

    order: DateOrder | None
    pivot: int
    min_date: dt.date
    max_date: dt.date
    serial_range: tuple[int, int]


def _make(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _full_year(year_text: str, pivot: int) -> int:
    """A two-digit year is in this century up to the pivot, in the last one after it ("84" -> 1984)."""
    year = int(year_text)
    if len(year_text) <= 2:
        return 2000 + year if year <= pivot else 1900 + year
    return year


def _checked(date: dt.date | None, reading: _Reading) -> DateResult:
    if date is None:
        return DateResult(None, "impossible")
    if not reading.min_date <= date <= reading.max_date:
        return DateResult(None, "out_of_range")
    return DateResult(date, None)


def _day_month(first: int, second: int, year: int, order: DateOrder | None) -> DateResult | dt.date | None:
    """Day and month in the source's order; both orders when it is unknown, ambiguous if both are valid and differ."""
    if order == "DMY":
        return _make(year, second, first)
    if order == "MDY":
        return _make(year, first, second)
    as_dmy, as_mdy = _make(year, second, first), _make(year, first, second)
    if as_dmy is not None and as_mdy is not None and as_dmy != as_mdy:
        return DateResult(None, "ambiguous")
    return as_dmy or as_mdy


def _from_serial(whole: int, reading: _Reading) -> DateResult:
    low, high = reading.serial_range
    if not low <= whole <= high:
        return DateResult(None, "unparseable")
    if whole == 60:
        return DateResult(None, "impossible")  # Excel's 1900-02-29, a day that did not exist
    days = whole if whole > 60 else whole + 1
    return _checked(_EXCEL_EPOCH + dt.timedelta(days=days), reading)


def _from_number(whole: int, reading: _Reading, *, integral: bool) -> DateResult:
    """A number with no separators: yyyymmdd, a year (ambiguous with a serial), or an Excel serial."""
    if integral and 10_000_000 <= whole <= 99_999_999:
        return _from_eight_digits(f"{whole:08d}", reading)
    if integral and reading.min_date.year <= whole <= reading.max_date.year:
        return DateResult(None, "ambiguous")  # 1984: a year of birth, or Excel's day 1984 (1905-06-06)?
    return _from_serial(whole, reading)


def _from_eight_digits(text: str, reading: _Reading) -> DateResult:
    """yyyymmdd; if that is no date, ddmmyyyy / mmddyyyy in the source's order."""
    as_ymd = _make(int(text[:4]), int(text[4:6]), int(text[6:]))
    if as_ymd is not None:
        return _checked(as_ymd, reading)
    other = _day_month(int(text[:2]), int(text[2:4]), int(text[4:]), reading.order)
    return other if isinstance(other, DateResult) else _checked(other, reading)


def _from_numeric(match: re.Match[str], reading: _Reading) -> DateResult:
    a, _, b, c = match.groups()
    if len(a) == 4:
        return _checked(_make(int(a), int(b), int(c)), reading) if len(c) <= 2 else DateResult(None, "unparseable")
    if len(c) == 3:
        return DateResult(None, "unparseable")
    if len(c) <= 2 and len(a) <= 2 and reading.order == "YMD":
        return _checked(_make(_full_year(a, reading.pivot), int(b), int(c)), reading)
    order = reading.order if reading.order in ("DMY", "MDY") else None
    result = _day_month(int(a), int(b), _full_year(c, reading.pivot), order)
    return result if isinstance(result, DateResult) else _checked(result, reading)


def _from_words(text: str, reading: _Reading) -> DateResult:
    """A date with the month in words: "2 lipca 1984", "July 2, 1984", "02-JUL-84", "2 июля 1984 г."."""
    text = _TRAILING_TIME.sub("", text)
    months: list[int] = []
    numbers_: list[str] = []
    for token in _TOKENS.findall(accent_key(text)):
        if token.isdigit():
            numbers_.append(token)
        elif token in _MONTHS:
            months.append(_MONTHS[token])
        elif token not in _IGNORABLE:
            return DateResult(None, "unparseable")
    if len(months) != 1 or len(numbers_) != 2:
        return DateResult(None, "unparseable")
    long_years = [n for n in numbers_ if len(n) == 4]
    if len(long_years) == 1:
        year_text = long_years[0]
        day_text = numbers_[1] if numbers_[0] == year_text else numbers_[0]
    elif not long_years and all(len(n) <= 2 for n in numbers_):
        day_text, year_text = numbers_  # "02-JUL-84": the day comes first
    else:
        return DateResult(None, "unparseable")
    return _checked(_make(_full_year(year_text, reading.pivot), months[0], int(day_text)), reading)


def _from_iso(match: re.Match[str], reading: _Reading) -> DateResult:
    return _checked(_make(int(match.group(1)), int(match.group(2)), int(match.group(3))), reading)


def _from_cjk(match: re.Match[str], reading: _Reading) -> DateResult:
    year = _full_year(match.group(1), reading.pivot)
    return _checked(_make(year, int(match.group(2)), int(match.group(3))), reading)


def _from_serial_text(match: re.Match[str], reading: _Reading) -> DateResult:
    whole, fraction = int(match.group(1)), match.group(2)
    if fraction is None or int(fraction) == 0:
        return _from_number(whole, reading, integral=True)
    # "30864.5" is a serial with a time of day; "12.05" is far more likely 12 May with no year.
    return _from_serial(whole, reading) if whole >= 1000 else DateResult(None, "unparseable")


_TEXT_FORMATS = (
    (_ISO, _from_iso),
    (_EIGHT_DIGITS, lambda m, reading: _from_eight_digits(m.group(0), reading)),
    (_SERIAL, _from_serial_text),
    (_CJK, _from_cjk),
    (_NUMERIC, _from_numeric),
)


def _parse_text(text: str, reading: _Reading) -> DateResult:
    for pattern, read in _TEXT_FORMATS:
        match = pattern.match(text)
        if match:
            return read(match, reading)
    return _from_words(text, reading)


def _is_missing(value: object) -> bool:
    return value is None or value is pd.NA or value is pd.NaT or (isinstance(value, float) and math.isnan(value))


def _from_real(number: float, reading: _Reading) -> DateResult:
    if not math.isfinite(number) or number < 0:
        return DateResult(None, "unparseable")
    return _from_number(int(number), reading, integral=number.is_integer())


def _from_format(text: str, fmt: str | None, reading: _Reading) -> DateResult | None:
    if fmt is None:
        return None
    try:
        return _checked(dt.datetime.strptime(text, fmt).date(), reading)
    except ValueError:
        return None


def _parse(value: object, fmt: str | None, reading: _Reading) -> DateResult:
    if _is_missing(value):
        return DateResult(None, None)
    if isinstance(value, dt.date):
        return _checked(value.date() if isinstance(value, dt.datetime) else value, reading)
    if isinstance(value, numbers.Real) and not isinstance(value, bool):
        return _from_real(float(value), reading)
    text = normalize_text(value)
    if text is None:
        return DateResult(None, None)
    return _from_format(text, fmt, reading) or _parse_text(text, reading)


def _reading(
    *,
    order: DateOrder | None,
    pivot_year: int | None,
    today: dt.date | None,
    min_date: dt.date,
    max_date: dt.date,
    serial_range: tuple[int, int],
) -> _Reading:
    if pivot_year is None:
        pivot_year = (today or dt.date.today()).year % 100
    return _Reading(order, pivot_year, min_date, max_date, serial_range)


def parse_date(
    value: object,
    *,
    order: DateOrder | None = "DMY",
    fmt: str | None = None,
    pivot_year: int | None = None,
    today: dt.date | None = None,
    min_date: dt.date = MIN_DATE,
    max_date: dt.date = MAX_DATE,
    serial_range: tuple[int, int] = EXCEL_SERIAL_RANGE,
) -> DateResult:
    """One written date. ``order`` is the source's day/month/year order; None when it is not known.

    Read regardless of ``order``: date and datetime objects, ISO text (1984-07-02, 1984-07-02T00:00:00, as Excel
    date cells arrive), year-first dates (1984/07/02), yyyymmdd, CJK dates (1984年7月2日), month names in several
    languages (``data/month_names.yml``), and Excel serial numbers within ``serial_range`` written without
    separators (30864, 30864.0; a bare year such as 1984 is "ambiguous"). Day/month numbers follow ``order``
    strictly: with "DMY", 12/25/1990 is "impossible", not silently read as December; with None, a value valid in
    one order only is read in that order, and one valid in both is "ambiguous". A two-digit year is 20yy up to
    ``pivot_year`` and 19yy after it; by default the pivot is the two-digit year of ``today``, itself by default
    the date of the run (pass the run's as-of date to make a re-run give the same answer). ``fmt`` (a strptime
    format) is tried first when given.
    """
    reading = _reading(
        order=order,
        pivot_year=pivot_year,
        today=today,
        min_date=min_date,
        max_date=max_date,
        serial_range=serial_range,
    )
    return _parse(value, fmt, reading)


def parse_dates(
    values: pd.Series,
    *,
    order: DateOrder | None = "DMY",
    fmt: str | None = None,
    pivot_year: int | None = None,
    today: dt.date | None = None,
    min_date: dt.date = MIN_DATE,
    max_date: dt.date = MAX_DATE,
    serial_range: tuple[int, int] = EXCEL_SERIAL_RANGE,
) -> pd.DataFrame:
    """``parse_date`` over a column, once per distinct value: columns ``date`` (datetime.date or None), ``issue``."""
    reading = _reading(
        order=order,
        pivot_year=pivot_year,
        today=today,
        min_date=min_date,
        max_date=max_date,
        serial_range=serial_range,
    )
    return results_frame(values, lambda v: _parse(v, fmt, reading), {"date": "date", "issue": "issue"})
