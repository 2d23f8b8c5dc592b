"""A phone read where the row and the company live, not only in its source's region."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pandas as pd
import pytest

from tests.support import staged_rows
from transforms.standardize.phones import PhoneResult, standardize_phone, standardize_phones
from transforms.standardize.records import ReadingRules, standardize_contacts, written_regions
from transforms.standardize.sentinels import load_sentinels

COMPANY = ("PL", "RU", "IR", "GB", "US", "CN")


@pytest.mark.parametrize(
    ("written", "region", "e164"),
    [
        ("880 891 321", "RU", "+48880891321"),  # a Polish mobile in a Russian journal
        ("(718) 361-6236", "PL", "+17183616236"),  # a US number in a Polish file
        ("07535 688 200", "RU", "+447535688200"),  # a British mobile with its trunk zero
        ("0919-963-8702", "RU", "+989199638702"),  # an Iranian one
        ("136-7482-9148", "RU", "+8613674829148"),  # a Chinese mobile, not a US number that lost its "+"
        ("09103306559", "GB", "+989103306559"),  # valid in the UK only as a premium-rate line
        ("212.446.5580", "RU", "+12124465580"),  # written in the US plan's groups, not as 021 2446 5580
    ],
)
def test_a_number_valid_only_in_another_country_of_the_company(written: str, region: str, e164: str) -> None:
    assert standardize_phone(written, region) != PhoneResult(e164, None)
    assert standardize_phone(written, region, COMPANY) == PhoneResult(e164, None)


def test_the_rows_own_country_comes_before_the_sources_region() -> None:
    assert standardize_phone("883 229 005", ("PL", "GB")) == PhoneResult("+48883229005", None)
    assert standardize_phone("8(967)604-43-79", ("RU", "PL")) == PhoneResult("+79676044379", None)
    frame = standardize_phones(pd.Series(["883 229 005", "883 229 005"]), pd.Series([("PL", "GB"), (None, "GB")]))
    assert frame["phone_e164"].tolist() == ["+48883229005", None]


def test_an_international_number_that_lost_its_plus() -> None:
    assert standardize_phone("447594362010", "RU", COMPANY) == PhoneResult("+447594362010", None)
    assert standardize_phone("48697811480", "RU", COMPANY) == PhoneResult("+48697811480", None)
    assert standardize_phone("0086 13994348297", "RU", COMPANY) == PhoneResult("+8613994348297", None)


def test_a_digit_typed_too_many_is_not_read_in_another_plan() -> None:
    assert standardize_phone("609 579 841 6", "PL", COMPANY) == PhoneResult(None, "invalid")
    assert standardize_phone("609 579 8416", "PL", COMPANY) == PhoneResult("+16095798416", None)


def test_a_trunk_zero_written_where_the_plan_has_none() -> None:
    assert standardize_phone("0728249028", "PL") == PhoneResult("+48728249028", None)


def test_only_a_lost_trunk_zero_is_put_back() -> None:
    """A number cell drops a leading 0, never a leading 8: a Polish 694 248 740 is no Russian 8 694 248 740."""
    assert standardize_phone("694 248 740", "RU").e164 is None
    assert standardize_phone("694 248 740", "RU", COMPANY) == PhoneResult("+48694248740", None)


def test_a_number_several_plans_read_equally_well_gets_no_e164() -> None:
    # A Chinese mobile, or a US number after its trunk 1: written as one block nothing tells them apart. It is a
    # valid number all the same (no phone_invalid); linkage compares its national number.
    assert standardize_phone("13604178712", "GB", ("US", "CN")) == PhoneResult(None, "ambiguous_country")
    assert standardize_phone("13604178712", "GB", ("CN",)) == PhoneResult("+8613604178712", None)


def test_as_written_and_in_the_plans_groups_beats_a_lost_trunk_zero() -> None:
    # Russia writes 8 (917) 851-31-98, Iran 0917 851 3198: only the US plan reads 917-851-3198 as written.
    assert standardize_phone("917-851-3198", "PL", ("RU", "IR", "US")) == PhoneResult("+19178513198", None)
    assert standardize_phone("917-851-31-98", "PL", ("RU", "IR", "US")) == PhoneResult("+79178513198", None)


def test_contacts_read_phones_in_the_rows_country_and_the_companys() -> None:
    raw = staged_rows(
        "accounting",
        "accounting_customers",
        "customers.csv",
        responsible="accounting",
        surname=["Smirnov", "Nowak", "Miller"],
        country=["RU", None, None],
        phone=["8 919 019 38 35", "880 891 321", "(617) 480-6072"],
    )
    rules = ReadingRules(phone_region="PL", date_order="YMD", as_of=dt.date(2026, 11, 20), other_regions=("US",))
    out, issues = standardize_contacts(raw, rules=rules, sentinels=load_sentinels(None))
    assert out["phone_e164"].tolist() == ["+79190193835", "+48880891321", "+16174806072"]
    assert "phone" not in set(issues["field"])


def test_a_chunk_of_a_file_reads_its_phones_in_every_country_the_file_writes() -> None:
    """The standardize stage reads a large file a chunk at a time: a phone without a country of its own is still
    tried in the countries of the file's other rows, whichever chunk they are in."""
    raw = staged_rows(
        "accounting",
        "accounting_customers",
        "customers.csv",
        responsible="accounting",
        surname=["Smirnov", "Ivanov"],
        country=["Russia", None],
        phone=["8 919 019 38 35", "8 919 019 38 36"],
    )
    sentinels = load_sentinels(None)
    rules = ReadingRules(phone_region="PL", date_order="YMD", as_of=dt.date(2026, 11, 20), other_regions=("US",))
    whole, _ = standardize_contacts(raw, rules=rules, sentinels=sentinels)
    assert whole["phone_e164"].tolist() == ["+79190193835", "+79190193836"]
    alone, _ = standardize_contacts(raw.iloc[1:], rules=rules, sentinels=sentinels)
    assert alone["phone_e164"].tolist() == [None]  # the second row on its own knows no Russia
    assert written_regions(raw["country"], sentinels) == ("RU",)
    told = replace(rules, other_regions=(*rules.other_regions, *written_regions(raw["country"], sentinels)))
    chunk, _ = standardize_contacts(raw.iloc[1:], rules=told, sentinels=sentinels)
    assert chunk["phone_e164"].tolist() == ["+79190193836"]
