"""Polish NIP and Russian INN checksums, and standardize_tax_id."""

import pandas as pd
import pytest

from transforms.standardize.tax_ids import (
    TaxIdResult,
    standardize_tax_id,
    standardize_tax_ids,
    validate_inn,
    validate_nip,
)

# Published ids of public institutions, used as known-valid examples.
NIP = "5260250274"  # ZUS (Polish Social Insurance Institution)
INN_10 = "7707083893"  # Sberbank
INN_12 = "500100732259"  # a twelve-digit (personal) INN with both check digits right
INN_LEADING_ZERO = "0105000103"  # a ten-digit INN of region 01, valid check digit


@pytest.mark.parametrize(
    ("written", "valid"),
    [
        (NIP, True),
        ("526-025-02-74", True),
        ("526 02 50 274", True),
        ("PL5260250274", True),
        ("5260250275", False),  # wrong check digit
        ("1234567890", False),
        ("0000000000", False),  # passes the arithmetic, a placeholder
        ("1111111111", False),
        ("526025027", False),  # nine digits
        ("526025027A", False),
        ("526.025.02.74", True),  # dotted
        ("NIP 526-025-02-74", False),  # a label is standardize_tax_id's business, not the checksum's
        ("", False),
    ],
)
def test_validate_nip(written: str, valid: bool) -> None:
    assert validate_nip(written) is valid


@pytest.mark.parametrize(
    ("written", "valid"),
    [
        (INN_10, True),
        (INN_12, True),
        (INN_LEADING_ZERO, True),
        ("RU7707083893", True),
        ("7707083894", False),
        ("500100732258", False),  # second check digit wrong
        ("500100732269", False),  # first check digit wrong
        ("0000000000", False),
        ("77070838", False),
        ("7707083830", True),  # a check value of 10 counts as 0
        ("7707083831", False),
        ("770708389", False),  # nine digits: only standardize_tax_id puts a lost leading zero back
        ("", False),
    ],
)
def test_validate_inn(written: str, valid: bool) -> None:
    assert validate_inn(written) is valid


@pytest.mark.parametrize(
    ("value", "country", "expected"),
    [
        ("PL5260250274", None, TaxIdResult(NIP, "NIP", True)),
        ("526-025-02-74", "PL", TaxIdResult(NIP, "NIP", True)),
        ("123 45 67 890", "PL", TaxIdResult("1234567890", "NIP", False)),
        ("NIP: 526-025-02-74", None, TaxIdResult(NIP, "NIP", True)),
        ("NIP 1234567890", None, TaxIdResult("1234567890", "NIP", False)),  # the label tells the kind
        ("526 02 50 274", "Polska", TaxIdResult(NIP, "NIP", True)),
        (5260250274.0, "PL", TaxIdResult(NIP, "NIP", True)),  # a number cell
        ("vat: PL5260250274", "DE", TaxIdResult(NIP, "NIP", True)),  # the written prefix wins
        ("ИНН 7707083893", None, TaxIdResult(INN_10, "INN", True)),
        (7707083893, "RU", TaxIdResult(INN_10, "INN", True)),
        (105000103, "RU", TaxIdResult(INN_LEADING_ZERO, "INN", True)),  # the leading zero put back
        ("RU500100732259", None, TaxIdResult(INN_12, "INN", True)),
        (NIP, None, TaxIdResult(NIP, "NIP", True)),  # no country: the checksum tells
        (INN_10, None, TaxIdResult(INN_10, "INN", True)),
        ("1234567890", None, TaxIdResult("1234567890", "OTHER", None)),
        ("902-771-02-19", None, TaxIdResult("9027710219", "NIP", False)),  # written the Polish way: a NIP
        ("367-47-44-961", None, TaxIdResult("3674744961", "NIP", False)),
        ("526-025-02-74", "DE", TaxIdResult(NIP, "VAT", None)),  # a given country wins over the grouping
        ("DE123456789", None, TaxIdResult("123456789", "VAT", None)),
        ("EL123456789", None, TaxIdResult("123456789", "VAT", None)),  # Greece's EU prefix
        ("FR12345678901", "FR", TaxIdResult("12345678901", "VAT", None)),
        ("123-45-6789", "US", TaxIdResult("123456789", "OTHER", None)),
        (None, "PL", TaxIdResult(None, None, None)),
        ("  ", "PL", TaxIdResult(None, None, None)),
    ],
)
def test_standardize_tax_id(value: object, country: str | None, expected: TaxIdResult) -> None:
    assert standardize_tax_id(value, country) == expected


def test_standardize_tax_ids_column() -> None:
    values = pd.Series(["PL5260250274", None, "7707083893", "5260250275"])
    countries = pd.Series([None, "PL", "RU", "PL"])
    frame = standardize_tax_ids(values, countries)
    assert list(frame.columns) == ["tax_id", "tax_id_kind", "tax_id_is_valid"]
    assert frame["tax_id"].tolist() == [NIP, None, INN_10, "5260250275"]
    assert frame["tax_id_kind"].tolist() == ["NIP", None, "INN", "NIP"]
    assert frame["tax_id_is_valid"].tolist() == [True, None, True, False]


@pytest.mark.parametrize("last", "0123456789")
def test_a_nip_whose_check_would_be_ten_is_never_valid(last: str) -> None:
    # 123456708: the weighted sum of these nine digits leaves 10 modulo 11, a check digit that is never issued.
    assert validate_nip("123456708" + last) is False


def test_the_sample_generator_and_the_standardizer_agree_on_every_id() -> None:
    """Both take their check digits from python-stdnum: generated ids are valid, their planted typos are not."""
    import random

    from devkit.generator.taxids import mistype, new_inn, new_nip

    rng = random.Random(3)
    for _ in range(500):
        nip = new_nip(rng)
        inn_10, inn_12 = new_inn(rng, person=False), new_inn(rng, person=True)
        assert validate_nip(nip) and validate_inn(inn_10) and validate_inn(inn_12)
        assert standardize_tax_id(nip, "PL") == TaxIdResult(nip, "NIP", True)
        assert standardize_tax_id(inn_12, "RU") == TaxIdResult(inn_12, "INN", True)
        assert not validate_nip(mistype(nip, rng))
        assert not validate_inn(mistype(inn_10, rng))
        assert not validate_inn(mistype(inn_12, rng))
