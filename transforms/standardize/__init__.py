"""Pure standardization of messy customer values: text, markers of "unavailable", names, phones, e-mails, dates,
addresses and tax ids.

Every function takes values (or a pandas Series) and returns new ones; nothing reads files other than the bundled
hand tables in ``data/``, and no input is modified. The column-wise helpers (``standardize_phones``,
``parse_dates``...) compute each distinct value once, which is what makes a million rows fast.
"""

from transforms.standardize.addresses import AddressParts, normalize_postcode, normalize_street, split_address
from transforms.standardize.countries import country_from_name, country_to_iso2
from transforms.standardize.dates import DateIssue, DateOrder, DateResult, parse_date, parse_dates
from transforms.standardize.emails import (
    EmailResult,
    email_match_key,
    extract_emails,
    standardize_email,
    standardize_emails,
)
from transforms.standardize.names import (
    ParsedName,
    load_nicknames,
    name_key,
    nickname_groups,
    phonetic_key,
    split_full_name,
    split_full_names,
)
from transforms.standardize.phones import PhoneResult, extract_phones, standardize_phone, standardize_phones
from transforms.standardize.sentinels import SentinelRegistry, load_sentinels
from transforms.standardize.tax_ids import (
    TaxIdKind,
    TaxIdResult,
    standardize_tax_id,
    standardize_tax_ids,
    validate_inn,
    validate_nip,
)
from transforms.standardize.text import fold_diacritics, normalize_text, to_latin
from transforms.standardize.vectorize import map_unique

__all__ = [
    "AddressParts",
    "DateIssue",
    "DateOrder",
    "DateResult",
    "EmailResult",
    "ParsedName",
    "PhoneResult",
    "SentinelRegistry",
    "TaxIdKind",
    "TaxIdResult",
    "country_from_name",
    "country_to_iso2",
    "email_match_key",
    "extract_emails",
    "extract_phones",
    "fold_diacritics",
    "load_nicknames",
    "load_sentinels",
    "map_unique",
    "name_key",
    "nickname_groups",
    "normalize_postcode",
    "normalize_street",
    "normalize_text",
    "parse_date",
    "parse_dates",
    "phonetic_key",
    "split_address",
    "split_full_name",
    "split_full_names",
    "standardize_email",
    "standardize_emails",
    "standardize_phone",
    "standardize_phones",
    "standardize_tax_id",
    "standardize_tax_ids",
    "to_latin",
    "validate_inn",
    "validate_nip",
]
