"""normalize_street, normalize_postcode, split_address and country_to_iso2."""

import pytest

from transforms.standardize.addresses import (
    AddressParts,
    country_to_iso2,
    normalize_postcode,
    normalize_street,
    split_address,
)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("ul. Długa 5", "ulica Długa 5"),
        ("UL. Długa 5", "ulica Długa 5"),
        ("ulica Długa 5", "ulica Długa 5"),
        ("ul.Długa 5 / 7", "ulica Długa 5/7"),
        ("al. Jerozolimskie 10", "aleja Jerozolimskie 10"),
        ("os. Kolorowe 3 m. 4", "osiedle Kolorowe 3 mieszkanie 4"),
        ("pl. Bankowy 2", "plac Bankowy 2"),
        ("ul. dr. Jana Kowalskiego 3", "ulica dr. Jana Kowalskiego 3"),  # a title, not "Drive"
        ("123 Main St", "123 Main Street"),
        ("123 Main St.", "123 Main Street"),
        ("5th Ave", "5th Avenue"),
        ("St Mary's Rd", "Saint Mary's Road"),  # St before a name is Saint, after one Street
        ("Main St Apt 5", "Main Street Apartment 5"),
        ("Union Pl.", "Union Place"),
        ("ул. Тверская, д. 7, кв. 5", "улица Тверская, дом 7, квартира 5"),
        ("пр-т Мира 5", "проспект Мира 5"),
        ("д. Ивановка", "д. Ивановка"),  # д. before a name is a village, not a house
        ("пр. Мира 5", "пр. Мира 5"),  # проспект or проезд: left as written
        ("Berliner Str. 5", "Berliner Straße 5"),
        ("Hauptstr. 5", "Hauptstraße 5"),
        ("خ. ولیعصر پ. ۱۲", "خیابان ولیعصر پلاک 12"),
        ("  ", None),
        (None, None),
    ],
)
def test_normalize_street(written: str | None, expected: str | None) -> None:
    assert normalize_street(written) == expected


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("00-950", "PL", "00-950"),
        ("00950", "PL", "00-950"),
        (950, "PL", "00-950"),  # a number cell lost the leading zeros
        (950.0, "Polska", "00-950"),
        ("PL-00-950", "PL", "00-950"),
        ("2134", "US", "02134"),
        ("02134-1234", "US", "02134-1234"),
        ("021341234", "US", "02134-1234"),
        ("125009", "RU", "125009"),
        ("25009", "RU", None),  # Russian postcodes never start with 0: no padding, invalid
        ("1010", "AT", "1010"),
        ("10115", "DE", "10115"),
        ("1067", "DE", "01067"),
        ("sw1a1aa", "GB", "SW1A 1AA"),
        ("SW1A 1AA", "UK", "SW1A 1AA"),
        ("k1a0b1", "CA", "K1A 0B1"),
        ("1234ab", "NL", "1234 AB"),
        ("11436 12345", "IR", "1143612345"),
        ("abc", "PL", None),
        (" ab 12 ", None, "AB 12"),  # unknown country: trimmed only
        ("12345", "ZZ", "12345"),
        (None, "PL", None),
    ],
)
def test_normalize_postcode(value: object, country: str | None, expected: str | None) -> None:
    assert normalize_postcode(value, country) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("ul. Długa 5/7, 00-950 Warszawa", AddressParts("ul. Długa 5/7", "00-950", "Warszawa")),
        ("ul. Długa 5 00-950 Warszawa", AddressParts("ul. Długa 5", "00-950", "Warszawa")),
        ("ul. Długa 5, 00-950 Warszawa, Polska", AddressParts("ul. Długa 5", "00-950", "Warszawa", country="PL")),
        ("Warszawa, ul. Długa 5", AddressParts("ul. Długa 5", None, "Warszawa")),
        ("ul. Długa 5, Mokotów, Warszawa", AddressParts("ul. Długa 5, Mokotów", None, "Warszawa")),
        ("123 Main St, Springfield, IL 62704", AddressParts("123 Main St", "62704", "Springfield", "IL")),
        ("12345 Main St, Springfield", AddressParts("12345 Main St", None, "Springfield")),  # a house number
        ("10 Downing Street, London SW1A 2AA", AddressParts("10 Downing Street", "SW1A 2AA", "London")),
        ("Hauptstraße 5, 10115 Berlin, Deutschland", AddressParts("Hauptstraße 5", "10115", "Berlin", country="DE")),
        ("Bahnhofstrasse 1, 8001 Zürich", AddressParts("Bahnhofstrasse 1", "8001", "Zürich")),
        (
            "125009, г. Москва, ул. Тверская, д. 7, кв. 5",
            AddressParts("ул. Тверская, д. 7, кв. 5", "125009", "Москва"),
        ),
        (
            "Московская обл., г. Химки, ул. Ленина, д. 1",
            AddressParts("ул. Ленина, д. 1", None, "Химки", "Московская обл."),
        ),
        ("تهران، خیابان ولیعصر، پلاک ۱۲", AddressParts("خیابان ولیعصر, پلاک 12", None, "تهران")),
        ("Długa 5 Warszawa", AddressParts("Długa 5 Warszawa")),  # where the street ends cannot be told
        ("Warszawa 00-950, ul. Długa 5", AddressParts("ul. Długa 5", "00-950", "Warszawa")),
        ("00-950 ul. Długa 5", AddressParts("ul. Długa 5", "00-950")),
        ("", AddressParts()),
    ],
)
def test_split_address(written: str, expected: AddressParts) -> None:
    assert split_address(written) == expected


def test_split_address_writes_the_postcode_for_a_known_country() -> None:
    assert split_address("Hauptstraße 5, 1067 Dresden", country="DE").postcode == "01067"


@pytest.mark.parametrize(
    ("written", "code"),
    [
        ("Polska", "PL"),
        ("poland", "PL"),
        ("PL", "PL"),
        ("pl", "PL"),
        ("POL", "PL"),
        ("Россия", "RU"),
        ("РФ", "RU"),
        ("Russian Federation", "RU"),
        ("Iran", "IR"),
        ("ایران", "IR"),
        ("China", "CN"),
        ("中国", "CN"),
        ("USA", "US"),
        ("U.S.A.", "US"),
        ("United States", "US"),
        ("Deutschland", "DE"),
        ("Niemcy", "DE"),
        ("UK", "GB"),
        ("Česká republika", "CZ"),
        ("Ελλάδα", "GR"),
        ("FR", "FR"),  # any ISO code, listed or not
        ("Narnia", None),
        ("XX", None),
        (None, None),
    ],
)
def test_country_to_iso2(written: str | None, code: str | None) -> None:
    assert country_to_iso2(written) == code
