"""Golden records: each field chosen by its rule, the address as a block, provenance for every value."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from transforms.customers.golden import GOLDEN_COLUMNS, build_golden, record_dates
from transforms.customers.settings import DEFAULT_FILE, SurvivorshipSettings, load_survivorship
from transforms.settings import SettingsError


def _records() -> pd.DataFrame:
    base = {
        "source_name": ["accounting", "anna", "calls", "calls"],
        "source_kind": ["accounting_customers", "spreadsheet", "journal", "journal"],
        "source_file": ["acc.csv", "anna.xlsx", "calls.csv", "calls.csv"],
        "sheet": ["", "2024", "", ""],
        "row_number": [4, 10, 3, 9],
        "record_id": ["r-acc", "r-anna", "r-call1", "r-call2"],
        "customer_id": ["CUST-0000001"] * 4,
        "responsible": ["unassigned", "Anna Kowalska", "Li Wei", "Li Wei"],
        "given_name": ["Maria", "Maria", "Мария", "Maria"],
        "surname": ["Nowak", "Nowak", "Kowalska", "Kowalska"],
        "patronymic": [None] * 4,
        "full_name": [None] * 4,
        "given_name_latin": ["Maria"] * 4,
        "surname_latin": ["Nowak", "Nowak", "Kowalska", "Kowalska"],
        "sex": ["F", None, None, None],
        "date_of_birth": [dt.date(1980, 5, 1), dt.date(1980, 5, 1), dt.date(1980, 1, 5), None],
        "phone_e164": [None, "+48601000001", "+48601000002", None],
        "email": [None, None, None, "maria@example.com"],
        "street": ["Długa 1", "Krótka 2", None, None],
        "city": ["Kraków", None, "Gdańsk", None],
        "postcode": ["30-001", "80-001", None, None],
        "country": ["PL", "PL", None, None],
        "tax_id": ["1234563218", "9999999999", None, None],
        "company": [None] * 4,
        "channel": [None, "radio", "web", "radio"],
        "record_date": pd.to_datetime(["2020-01-01", "2023-06-01", "2024-03-01", "2024-09-01"]),
    }
    return pd.DataFrame(base)


def _golden() -> tuple[pd.Series, pd.DataFrame]:
    settings, _ = load_survivorship(None)
    golden, prov = build_golden(
        _records(),
        settings=settings,
        requirements=[("surname",), ("given_name",), ("date_of_birth",), ("phone_e164", "email")],
        unassigned=["unassigned"],
    )
    assert list(golden.columns) == list(GOLDEN_COLUMNS)
    assert len(golden) == 1
    return golden.iloc[0], prov


def test_each_field_follows_its_rule() -> None:
    row, _ = _golden()
    assert row["surname"] == "Kowalska"  # name block: the latest record with a surname
    assert row["given_name"] == "Maria"  # taken with the surname, from the same record
    assert row["date_of_birth"] == dt.date(1980, 5, 1)  # most frequent beats the latest typo
    assert row["tax_id"] == "1234563218"  # accounting first
    assert row["phone_e164"] == "+48601000002"  # latest record that has a phone
    assert row["email"] == "maria@example.com"
    assert row["channel"] == "radio"
    assert row["account_manager"] == "Anna Kowalska"  # accounting's 'unassigned' is nobody
    assert (row["record_count"], row["source_count"], row["sources"]) == (4, 3, "accounting,anna,calls")
    assert row["first_seen_on"] == dt.date(2020, 1, 1)
    assert row["last_updated_on"] == dt.date(2024, 9, 1)
    assert row["completeness"] == 1.0


def test_the_address_comes_from_one_record() -> None:
    row, prov = _golden()
    # The latest record with a street is anna's (2023); its city is empty, so the golden city stays empty
    # rather than borrowing Gdańsk from another record.
    assert (row["street"], row["city"], row["postcode"]) == ("Krótka 2", None, "80-001")
    where = prov.set_index("field")
    assert where.loc["street", "record_id"] == where.loc["postcode", "record_id"] == "r-anna"
    assert "city" not in where.index


def test_provenance_names_file_sheet_row_and_rule() -> None:
    _, prov = _golden()
    dob = prov.set_index("field").loc["date_of_birth"]
    assert dob["rule"] == "most_frequent"
    assert dob["source_name"] in {"accounting", "anna"}
    tax = prov.set_index("field").loc["tax_id"]
    assert (tax["source_file"], tax["sheet"], tax["row_number"], tax["rule"]) == ("acc.csv", "", 4, "source_priority")


def test_completeness_counts_met_groups() -> None:
    settings, _ = load_survivorship(None)
    recs = _records().iloc[[3]].assign(date_of_birth=None)
    golden, _ = build_golden(
        recs, settings=settings, requirements=[("surname",), ("date_of_birth",), ("phone_e164", "email")]
    )
    assert golden.loc[0, "completeness"] == pytest.approx(2 / 3, abs=1e-3)


def test_record_dates_fall_back_to_the_contact_date() -> None:
    contacts = pd.DataFrame({"record_id": ["a", "b"], "last_updated_on": [dt.date(2024, 1, 2), None]})
    interactions = pd.DataFrame({"record_id": ["b"], "interaction_at": [pd.Timestamp("2024-05-06 14:30")]})
    got = record_dates(contacts, interactions)
    assert got.tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-05-06")]


def test_a_bad_company_file_names_the_key(tmp_path) -> None:  # type: ignore[no-untyped-def]
    (tmp_path / "sources.yml").write_text("sources: []\n")
    (tmp_path / "survivorship.yml").write_text("fields:\n  phone: most_recent\n")
    with pytest.raises(SettingsError, match=r"(?s)survivorship.yml.*fields.*did you mean 'phone_e164'"):
        load_survivorship(tmp_path / "sources.yml")


def test_a_field_listed_twice_is_refused() -> None:
    with pytest.raises(ValueError, match="already in group"):
        SurvivorshipSettings.model_validate(
            {"groups": {"a": {"fields": ["street"]}, "b": {"fields": ["street", "city"]}}}
        )
    assert DEFAULT_FILE.is_file()


def test_a_one_off_typo_in_the_latest_record_does_not_become_the_name() -> None:
    settings, _ = load_survivorship(None)
    recs = _records()
    typo = recs.iloc[[3]].assign(
        record_id="r-typo", surname="Kowalsak", surname_latin="Kowalsak", record_date=pd.Timestamp("2025-01-01")
    )
    golden, prov = build_golden(pd.concat([recs, typo], ignore_index=True), settings=settings, requirements=[])
    assert golden.loc[0, "surname"] == "Kowalska"
    assert prov.set_index("field").loc["surname", "rule"] == "latest_confirmed"
