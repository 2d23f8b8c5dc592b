"""Businesses in a name field: the company kept as the company, a sole trader's own name split as a person's."""

import pandas as pd
import pytest

from transforms.standardize.businesses import BillingName, read_billing_name, read_billing_names
from transforms.standardize.records import ReadingRules, standardize_contacts
from transforms.standardize.sentinels import load_sentinels


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # a company's legal form: no person, whatever names the company holds
        ("Borowek Sp. z o.o.", BillingName(company="Borowek Sp. z o.o.")),
        ("KOWALSKI SP. Z O.O.", BillingName(company="KOWALSKI SP. Z O.O.")),
        ("Nowak Spółka Akcyjna", BillingName(company="Nowak Spółka Akcyjna")),
        ("ООО «Ромашка»", BillingName(company='ООО "Ромашка"')),
        ("Smith & Sons Ltd", BillingName(company="Smith & Sons Ltd")),
        ("Acme Widgets Inc.", BillingName(company="Acme Widgets Inc.")),
        ("SAFARZADEH TRADING CO.", BillingName(company="SAFARZADEH TRADING CO.")),
        ("Müller Sanitär GmbH", BillingName(company="Müller Sanitär GmbH")),
        ("Schmidt AG", BillingName(company="Schmidt AG")),
        ("广州王晓明贸易有限公司", BillingName(company="广州王晓明贸易有限公司")),
        ("شرکت پارس", BillingName(company="شرکت پارس")),
        # a sole trader: the company, and the person after the mark
        ("ИП Щукенко Евгений Михайлович", BillingName("ИП Щукенко Евгений Михайлович", "Щукенко Евгений Михайлович")),
        ("IP IVANOV IVAN", BillingName("IP IVANOV IVAN", "IVANOV IVAN")),
        ("PHU Jan Kowalski", BillingName("PHU Jan Kowalski", "Jan Kowalski")),
        ("PHU NOWAK Jan Nowak", BillingName("PHU NOWAK Jan Nowak", "Jan Nowak")),  # the brand made of the surname
        ('FHU "KOWALCZYK"', BillingName(company='FHU "KOWALCZYK"')),  # a brand in quotes is no one's name
        # a trade word: the words before it are the owner's name
        ("Jan Kowalski Usługi Remontowe", BillingName("Jan Kowalski Usługi Remontowe", "Jan Kowalski")),
        ("RYBNIKOV USŁUGI REMONTOWE", BillingName("RYBNIKOV USŁUGI REMONTOWE", "RYBNIKOV")),
        ("David Newwood Plumbing", BillingName("David Newwood Plumbing", "David Newwood")),
        ("Holley Consulting", BillingName("Holley Consulting", "Holley")),
        # people
        ("Jan Kowalski", BillingName(person="Jan Kowalski")),
        ("Anna Baker", BillingName(person="Anna Baker")),  # an occupation that is a surname
        ("Ip Man", BillingName(person="Ip Man")),  # a Cantonese surname, not ИП
        ("Co Thi Lan", BillingName(person="Co Thi Lan")),
        ("OOO Romashka", BillingName(company="OOO Romashka")),
        ("IVANOV I.", BillingName(person="IVANOV I.")),
    ],
)
def test_read_billing_name(written: str, expected: BillingName) -> None:
    assert read_billing_name(written) == expected


def test_read_billing_names_over_a_column() -> None:
    out = read_billing_names(pd.Series(["Nowak Sp. z o.o.", None, "Anna Nowak"], index=[5, 6, 7]))
    assert out.index.tolist() == [5, 6, 7]
    assert out["company"].tolist() == ["Nowak Sp. z o.o.", None, None]
    assert out["person"].tolist() == [None, None, "Anna Nowak"]


def _contacts(full_names: list[str]) -> pd.DataFrame:
    n = len(full_names)
    raw = pd.DataFrame(
        {
            "source_name": "accounting",
            "source_kind": "accounting_customers",
            "source_file": "customers.csv",
            "sheet": "",
            "row_number": range(1, n + 1),
            "physical_row": range(2, n + 2),
            "file_sha256": "x",
            "responsible": "accounting",
            "full_name": full_names,
        }
    )
    contacts, _ = standardize_contacts(
        raw, rules=ReadingRules(phone_region="PL", date_order="YMD"), sentinels=load_sentinels()
    )
    return contacts


def test_a_business_in_the_name_field_is_the_company_and_a_sole_traders_name_the_person() -> None:
    out = _contacts(["Borowek Sp. z o.o.", "ИП Щукенко Евгений Михайлович", "RYBNIKOV USŁUGI REMONTOWE", "Jan Nowak"])
    assert out["company"].tolist() == [
        "Borowek Sp. z o.o.",
        "ИП Щукенко Евгений Михайлович",
        "RYBNIKOV USŁUGI REMONTOWE",
        None,
    ]
    assert out["given_name"].tolist() == [None, "Евгений", None, "Jan"]
    assert out["surname"].tolist() == [None, "Щукенко", "Rybnikov", "Nowak"]
    assert out["patronymic"].tolist() == [None, "Михайлович", None, None]
    assert out["full_name"].tolist()[0] == "Borowek Sp. z o.o."  # as written


def test_a_name_written_with_initials_keeps_the_first_initial_as_given_name() -> None:
    out = _contacts(["IVANOV I.P.", "S. Staton", "WU F."])
    assert out["given_name"].tolist() == ["I.", "S.", "F."]
    assert out["surname"].tolist() == ["Ivanov", "Staton", "Wu"]
