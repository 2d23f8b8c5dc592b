"""Which warehouse columns hold personal data, by name: what analysts never see.

The analyst role (sql/access/roles.sql) reads the marts schema only, the analyst extract copies the marts
without these columns, and the tests check that no marts table or view carries one. Names, not tables:
a column called ``email`` is personal wherever it appears, including in tables written after this list.
"""

from __future__ import annotations

#: Names, phones, e-mails, addresses, dates of birth, tax ids, and free text or raw values that may hold them.
PERSONAL_COLUMNS: frozenset[str] = frozenset(
    {
        "given_name",
        "surname",
        "patronymic",
        "full_name",
        "given_name_latin",
        "surname_latin",
        "patronymic_latin",
        "previous_surname",
        "customer_name",
        "company",
        "company_name",
        "date_of_birth",
        "phone",
        "phone_e164",
        "previous_phone_e164",
        "email",
        "street",
        "city",
        "postcode",
        "address",
        "previous_street",
        "previous_city",
        "previous_postcode",
        "tax_id",
        "notes",
        "raw_value",
    }
)


def is_personal(column: str) -> bool:
    """Whether a column of this name may hold a customer's personal data."""
    return column.lower() in PERSONAL_COLUMNS
