"""Phones compared on their national number, so a number read in another country (or in none) is still evidence."""

from __future__ import annotations

import pandas as pd

from transforms.linkage import load_linkage_settings
from transforms.linkage.blocking import candidate_pairs
from transforms.linkage.prepare import prepare_records
from transforms.standardize.phones import national_key


def test_national_key_of_an_e164_and_of_a_number_no_plan_reads_alone() -> None:
    assert national_key("+79179319041") == "179319041"  # read in Russia
    assert national_key("+19179319041") == "179319041"  # the same digits read in the US
    assert national_key("917-931-9041") == "179319041"  # written, several plans read it
    assert national_key("+48601234567 0048 601 234 567") == "601234567"  # E.164 first, then as written
    assert national_key("601 234 567 ext. 12") == "601234567"  # the extension is no part of it
    assert national_key("752 2") is None  # too few digits to tell
    assert national_key("000-000-000") is None  # a placeholder, shared by many
    assert national_key("123 456 789") is None


def _contact(record_id: str, phone_e164: str | None, phone: str) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(load_linkage_settings(None).input_columns)
    row.update(
        record_id=record_id,
        source_name=record_id,
        given_name="Jan",
        given_name_latin="jan",
        surname_key="kowalski",
        phone_e164=phone_e164,
        phone=phone,
    )
    return row


def test_a_phone_without_e164_is_blocked_and_compared_with_its_e164_twin() -> None:
    settings = load_linkage_settings(None)
    records = pd.DataFrame([_contact("a", "+79179319041", "8 917 931 90 41"), _contact("b", None, "917.931.9041")])
    prepared = prepare_records(records, settings)
    assert prepared["phone_key"].tolist() == ["179319041", "179319041"]
    assert prepared["_linkable"].all()
    pairs = candidate_pairs(prepared, settings)
    assert len(pairs) == 1
