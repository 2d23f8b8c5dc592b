"""standardize_phone / standardize_phones: written numbers to E.164 with the reason when that fails."""

import numpy as np
import pandas as pd
import pytest

from transforms.standardize import phones
from transforms.standardize.phones import PhoneResult, extract_phones, standardize_phone, standardize_phones


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("+48 601 234 567", "PL", "+48601234567"),
        ("(0) 601-234-567", "PL", "+48601234567"),
        ("+48 (0) 601 234 567", "PL", "+48601234567"),
        ("00 48 601 234 567", "PL", "+48601234567"),
        ("tel. 601234567", "PL", "+48601234567"),
        ("Tel: +48 601-234-567", "PL", "+48601234567"),
        ("601 234 567 wew. 12", "PL", "+48601234567"),  # the extension is dropped
        ("601234567 ext. 5", "PL", "+48601234567"),
        ("22/123-45-67", "PL", "+48221234567"),  # an area code with a slash is one number
        ("8 (912) 345-67-89", "RU", "+79123456789"),
        ("тел. 8-912-345-67-89", "RU", "+79123456789"),
        ("моб.: +7 912 345 67 89", "RU", "+79123456789"),
        ("۰۹۱۲ ۱۲۳ ۴۵۶۷", "IR", "+989121234567"),  # Persian digits
        ("+44 (0) 20 7946 0958", "PL", "+442079460958"),  # a foreign number in a Polish file
        ("13812345678", "CN", "+8613812345678"),
        ("0048601234567", None, "+48601234567"),  # no region: only international numbers
        ("601 234 567", "Polska", "+48601234567"),  # a region written as a country name
        ("0048 601 234 567", "RU", "+48601234567"),  # 00 where the region's own prefix is another (810)
        ("001 281 788 9185", "US", "+12817889185"),  # and in the US (011)
    ],
)
def test_written_numbers(written: str, region: str | None, e164: str) -> None:
    assert standardize_phone(written, region) == PhoneResult(e164, None)


@pytest.mark.parametrize(
    ("stored", "region", "e164"),
    [
        (48601234567.0, "PL", "+48601234567"),  # a number cell: the "+" is gone
        ("48601234567.0", "PL", "+48601234567"),
        ("6.01234567E8", "PL", "+48601234567"),  # scientific notation from a CSV export
        ("6,01234567E+08", "PL", "+48601234567"),  # with a decimal comma
        (601234567, "PL", "+48601234567"),
        (7911123456, "GB", "+447911123456"),  # a UK mobile that lost its trunk zero
        ("9121234567", "IR", "+989121234567"),  # an Iranian mobile that lost its trunk zero
        (380501234567.0, "PL", "+380501234567"),  # a Ukrainian number that lost its "+"
    ],
)
def test_numbers_stored_by_spreadsheets(stored: object, region: str, e164: str) -> None:
    assert standardize_phone(stored, region) == PhoneResult(e164, None)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("written", "region", "result"),
    [
        ("call me", "PL", PhoneResult(None, "letters")),
        ("601 234 567 (mama)", "PL", PhoneResult("+48601234567", "letters")),  # usable, words dropped
        ("601 234 5O7", "PL", PhoneResult("+48601234507", "letters")),  # O typed for 0 inside digits
        ("6OI 234 567", "PL", PhoneResult("+48601234567", "letters")),  # and I for 1
        ("12345", "PL", PhoneResult(None, "too_short")),
        ("tel. 123", "PL", PhoneResult(None, "too_short")),
        ("1234567890123456789", "PL", PhoneResult(None, "too_long")),
        ("601234567", None, PhoneResult(None, "invalid")),  # a national number with no region
        ("999 999 999", "PL", PhoneResult(None, "invalid")),
        ("601234567; 22 123 45 67", "PL", PhoneResult("+48601234567", "multiple_numbers")),
        ("601234567 lub 602345678", "PL", PhoneResult("+48601234567", "multiple_numbers")),
        (None, "PL", PhoneResult(None, None)),
        (float("nan"), "PL", PhoneResult(None, None)),
        ("", "PL", PhoneResult(None, None)),
    ],
)
def test_issues(written: object, region: str | None, result: PhoneResult) -> None:
    assert standardize_phone(written, region) == result  # type: ignore[arg-type]


def test_extract_phones_returns_every_number_of_a_cell() -> None:
    found = extract_phones("601 234 567 / (22) 123 45 67", "PL")
    assert [r.e164 for r in found] == ["+48601234567", "+48221234567"]
    assert extract_phones(None, "PL") == []


def test_standardize_phones_with_one_region() -> None:
    values = pd.Series(["601 234 567", None, "abc", 48601234567.0], index=[3, 1, 4, 1])
    frame = standardize_phones(values, "PL")
    assert list(frame.columns) == ["phone_e164", "phone_issue"]
    assert list(frame.index) == [3, 1, 4, 1]
    assert frame["phone_e164"].tolist() == ["+48601234567", None, None, "+48601234567"]
    assert frame["phone_issue"].tolist() == [None, None, "letters", None]


def test_standardize_phones_with_a_region_per_row() -> None:
    values = pd.Series(["7911123456", "7911123456", "601234567"])
    regions = pd.Series(["GB", "PL", None])
    frame = standardize_phones(values, regions)
    assert frame["phone_e164"].tolist() == ["+447911123456", None, None]
    assert frame["phone_issue"].tolist() == [None, "invalid", "invalid"]


def test_each_distinct_value_is_parsed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[object] = []
    real = phones.standardize_phone

    def counting(value: object, region: str | None, others: tuple[str, ...] = ()) -> PhoneResult:
        calls.append(value)
        return real(value, region, others)  # type: ignore[arg-type]

    monkeypatch.setattr(phones, "standardize_phone", counting)
    distinct = [f"601 234 {n:03d}" for n in range(500)]
    values = pd.Series(np.array(distinct * 400, dtype=object))  # 200,000 rows
    frame = standardize_phones(values, "PL")
    assert len(calls) == 500
    assert frame["phone_e164"].iloc[-1] == "+48601234499"
    assert frame["phone_e164"].notna().all()
