"""parse_date / parse_dates: every written form read, and no silent guess when the order is unknown."""

import datetime as dt

import pandas as pd
import pytest

from transforms.standardize.dates import DateResult, parse_date, parse_dates

TODAY = dt.date(2025, 6, 1)
D = dt.date


def read(value: object, **kwargs: object) -> DateResult:
    return parse_date(value, today=TODAY, **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("1984-07-02", D(1984, 7, 2)),
        ("1984-07-02T00:00:00", D(1984, 7, 2)),  # an Excel date cell
        ("1984-07-02 13:45:00", D(1984, 7, 2)),
        ("2023-01-05T10:00:00+01:00", D(2023, 1, 5)),
        (dt.datetime(1984, 7, 2, 10, 30), D(1984, 7, 2)),
        (pd.Timestamp("1984-07-02"), D(1984, 7, 2)),
        (D(1984, 7, 2), D(1984, 7, 2)),
        ("19840702", D(1984, 7, 2)),
        (19840702, D(1984, 7, 2)),
        ("1984/07/02", D(1984, 7, 2)),
        ("1984年7月2日", D(1984, 7, 2)),
        ("1984년 7월 2일", D(1984, 7, 2)),
        ("۱۹۸۴-۰۷-۰۲", D(1984, 7, 2)),  # Persian digits
        ("2 lipca 1984", D(1984, 7, 2)),
        ("2 июля 1984 г.", D(1984, 7, 2)),
        ("July 2, 1984", D(1984, 7, 2)),
        ("Monday, 2nd of July 1984", D(1984, 7, 2)),
        ("02-JUL-84", D(1984, 7, 2)),
        ("2. Juli 1984", D(1984, 7, 2)),
        ("2 września 1984", D(1984, 9, 2)),
    ],
)
def test_unambiguous_dates_whatever_the_order(written: object, expected: dt.date) -> None:
    for order in ("DMY", "MDY", "YMD", None):
        assert read(written, order=order) == DateResult(expected, None)


@pytest.mark.parametrize(
    "written",
    ["02.07.1984", "02.07.1984.", "2.7.1984 r.", "02/07/1984", "02-07-1984", "02 07 1984", "02.07.1984 10:30"],
)
def test_day_first_numeric_dates(written: str) -> None:
    assert read(written, order="DMY") == DateResult(D(1984, 7, 2), None)
    assert read(written, order="MDY") == DateResult(D(1984, 2, 7), None)


@pytest.mark.parametrize(
    ("serial", "expected"),
    [
        (45292, D(2024, 1, 1)),
        ("45292", D(2024, 1, 1)),
        ("45292.0", D(2024, 1, 1)),
        (45292.75, D(2024, 1, 1)),  # a time of day
        ("45292,5", D(2024, 1, 1)),
        (30865, D(1984, 7, 2)),
        (61, D(1900, 3, 1)),  # after Excel's fictitious 29 February 1900
        (59, D(1900, 2, 28)),
        (1, D(1900, 1, 1)),
    ],
)
def test_excel_serial_numbers(serial: object, expected: dt.date) -> None:
    assert read(serial) == DateResult(expected, None)


def test_excel_serial_edge_cases() -> None:
    assert read(60) == DateResult(None, "impossible")  # 1900-02-29 never existed
    assert read(80001) == DateResult(None, "unparseable")
    assert read("1984") == DateResult(None, "ambiguous")  # a year, or Excel's day 1984?
    assert read(1984) == DateResult(None, "ambiguous")
    assert read("12.05") == DateResult(None, "unparseable")  # 12 May without a year, not serial 12
    assert read("020784") == DateResult(None, "unparseable")


def test_day_month_order() -> None:
    assert read("03/04/1985", order="DMY") == DateResult(D(1985, 4, 3), None)
    assert read("03/04/1985", order="MDY") == DateResult(D(1985, 3, 4), None)
    assert read("03/04/1985", order=None) == DateResult(None, "ambiguous")
    assert read("03041985", order=None) == DateResult(None, "ambiguous")
    assert read("13/04/1985", order=None) == DateResult(D(1985, 4, 13), None)  # only one reading is a date
    assert read("04/04/1985", order=None) == DateResult(D(1985, 4, 4), None)  # both readings are the same day
    assert read("12/25/1990", order="DMY") == DateResult(None, "impossible")  # the order is followed strictly
    assert read("12/25/1990", order=None) == DateResult(D(1990, 12, 25), None)
    assert read("84/07/02", order="YMD") == DateResult(D(1984, 7, 2), None)
    # "YMD" says nothing about day and month when the year is written last
    assert read("13/04/1985", order="YMD") == DateResult(D(1985, 4, 13), None)
    assert read("03/04/1985", order="YMD") == DateResult(None, "ambiguous")


def test_two_digit_years_pivot() -> None:
    assert read("2.7.84") == DateResult(D(1984, 7, 2), None)
    assert read("2.7.25") == DateResult(D(2025, 7, 2), None)
    assert read("2.7.26") == DateResult(D(1926, 7, 2), None)
    assert read("2.7.26", pivot_year=30) == DateResult(D(2026, 7, 2), None)
    assert parse_date("2.7.26", today=D(2030, 1, 1)) == DateResult(D(2026, 7, 2), None)


def test_impossible_and_out_of_range() -> None:
    assert read("31.02.1990") == DateResult(None, "impossible")
    assert read("32.01.2000") == DateResult(None, "impossible")
    assert read("2024-02-30") == DateResult(None, "impossible")
    assert read("13.13.2000", order=None) == DateResult(None, "impossible")
    assert read("0001-01-01") == DateResult(None, "out_of_range")
    assert read("9999-12-31") == DateResult(None, "out_of_range")
    assert read("1850-05-01", min_date=D(1800, 1, 1)) == DateResult(D(1850, 5, 1), None)


def test_unparseable_and_missing() -> None:
    assert read("abc") == DateResult(None, "unparseable")
    assert read("2 lipca") == DateResult(None, "unparseable")
    assert read("soon") == DateResult(None, "unparseable")
    assert read(None) == DateResult(None, None)
    assert read("") == DateResult(None, None)
    assert read(float("nan")) == DateResult(None, None)
    assert read(pd.NaT) == DateResult(None, None)


def test_explicit_format_is_tried_first() -> None:
    assert read("07-1984-02", fmt="%m-%Y-%d") == DateResult(D(1984, 7, 2), None)
    assert read("1984-07-02", fmt="%d/%m/%Y") == DateResult(D(1984, 7, 2), None)  # falls back to the rules


def test_parse_dates_column() -> None:
    values = pd.Series(["02.07.1984", None, "31.02.1990", "02.07.1984", 45292], index=[4, 3, 2, 1, 0])
    frame = parse_dates(values, order="DMY", today=TODAY)
    assert list(frame.columns) == ["date", "issue"]
    assert list(frame.index) == [4, 3, 2, 1, 0]
    assert frame["date"].tolist() == [D(1984, 7, 2), None, None, D(1984, 7, 2), D(2024, 1, 1)]
    assert frame["issue"].tolist() == [None, None, "impossible", None, None]


def test_parse_dates_of_a_datetime_column() -> None:
    values = pd.to_datetime(pd.Series(["1984-07-02", None, "2001-12-31"]))
    frame = parse_dates(values, order=None)
    assert frame["date"].tolist() == [D(1984, 7, 2), None, D(2001, 12, 31)]
