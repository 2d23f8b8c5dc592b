"""The registry of "unavailable" markers, bundled and extended from a company's settings."""

import pandas as pd
import pytest

from transforms.standardize.sentinels import SentinelRegistry, load_sentinels


@pytest.fixture(scope="module")
def registry() -> SentinelRegistry:
    return load_sentinels()


@pytest.mark.parametrize(
    ("value", "field", "reason"),
    [
        ("N/A", "surname", "sentinel:n/a"),
        ("  Brak  Danych ", "city", "sentinel:brak danych"),
        ("(brak)", "city", "sentinel:brak"),
        ("Брак", "postcode", "sentinel:брак"),  # "brak" typed on a Cyrillic layout
        ("nie podano.", "email", "sentinel:nie podano"),
        ("НЕ УКАЗАНО", "given_name", "sentinel:не указано"),
        ("Неизвестно", "city", "sentinel:неизвестно"),
        ("ندارد", "phone", "sentinel:ندارد"),
        ("لا يوجد", "city", "sentinel:لا یوجد"),  # Arabic yeh compared in the Persian form
        ("不详", "surname", "sentinel:不详"),
        ("未知", "city", "sentinel:未知"),
        ("-", "street", "sentinel:-"),
        ("?", "surname", "sentinel:?"),
        ("-/-", "tax_id", "sentinel:-/-"),
        ("tbd", "company", "sentinel:tbd"),
        ("01.01.1900", "date_of_birth", "sentinel:01.01.1900"),
        ("1900-01-01", "date_of_birth", "sentinel:1900-01-01"),
        ("1900/1/1", "date_of_birth", "sentinel:re:^(0?1[./-]0?1[./-]1900|1900[./-]0?1[./-]0?1)([ t]00:00(:00)?)?$"),
        ("؟", "city", "sentinel:?"),  # the Arabic question mark
        ("XXXX", "given_name", "sentinel:re:^[xх]{2,}$"),
        ("ххх", "surname", "sentinel:re:^[xх]{2,}$"),  # Cyrillic х
        ("...", "city", "sentinel:re:^[-?._/\\\\*#=~\\s]+$"),
    ],
)
def test_markers_are_recognised(registry: SentinelRegistry, value: str, field: str, reason: str) -> None:
    assert registry.match(value, field) == reason


def test_zero_is_a_marker_only_where_it_cannot_be_a_value(registry: SentinelRegistry) -> None:
    assert registry.match("0", "phone") == "sentinel:0"
    assert registry.match(0.0, "phone") == "sentinel:0"  # as Excel hands a number over
    assert registry.match("0", "tax_id") == "sentinel:0"
    assert registry.match("0", "date_of_birth") == "sentinel:0"
    assert registry.match("0", "amount") is None
    assert registry.match("0", "survey_score") is None


def test_placeholder_phones_and_emails(registry: SentinelRegistry) -> None:
    assert registry.match("000-000-000", "phone") is not None
    assert registry.match("1111111", "phone") is not None
    assert registry.match("123456789", "phone") == "sentinel:123456789"
    assert registry.match("601 234 567", "phone") is None
    assert registry.match("noemail@wp.pl", "email") is not None
    assert registry.match("jan@example.com", "email") is not None
    assert registry.match("jan.kowalski@wp.pl", "email") is None


@pytest.mark.parametrize(
    ("value", "field"),
    [("Nowak", "surname"), ("Brakowski", "surname"), ("Nata", "given_name"), ("Netto", "company"), ("x", "sex")],
)
def test_real_values_are_not_markers(registry: SentinelRegistry, value: str, field: str) -> None:
    assert registry.match(value, field) is None


def test_missing_is_not_a_marker(registry: SentinelRegistry) -> None:
    assert registry.match(None, "surname") is None
    assert registry.match("", "surname") is None


def test_exempt_values_stay_names(registry: SentinelRegistry) -> None:
    # "Na" is a Korean and Chinese surname; in other fields it is "n/a".
    assert registry.match("Na", "surname") is None
    assert registry.match("na", "phone") == "sentinel:na"


def test_company_extends_the_registry_from_its_settings() -> None:
    registry = load_sentinels({"*": ["brak nazwiska"], "phone*": ["re:^999"]})
    assert registry.match("Brak nazwiska", "surname") == "sentinel:brak nazwiska"
    assert registry.match("999 123 456", "phone") == "sentinel:re:^999"
    assert registry.match("999 123 456", "phone_mobile") == "sentinel:re:^999"
    assert registry.match("999", "city") is None
    assert load_sentinels().match("Brak nazwiska", "surname") is None  # the bundled registry is unchanged


def test_bad_settings_are_refused_with_the_entry_named() -> None:
    with pytest.raises(ValueError, match="not a valid regular expression"):
        load_sentinels({"phone": ["re:(unclosed"]})
    with pytest.raises(ValueError, match="expected a list of quoted strings"):
        load_sentinels({"phone": [0]})  # type: ignore[list-item]


def test_match_series_keeps_index_and_missing(registry: SentinelRegistry) -> None:
    values = pd.Series(["n/a", "Kowalski", None, "n/a"], index=[10, 11, 12, 13])
    reasons = registry.match_series(values, "surname")
    assert list(reasons.index) == [10, 11, 12, 13]
    assert reasons.tolist() == ["sentinel:n/a", None, None, "sentinel:n/a"]
