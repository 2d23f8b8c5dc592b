"""A record's content fingerprint: what identifies the person in a row, independent of where the row sits.

Row numbers shift when a manager inserts a row, so steward decisions and customer ids are carried from
night to night by fingerprint as well as by location. A fingerprint changes exactly when the identifying
evidence in the row changes, which is when a decision about it should be looked at again.
"""

from __future__ import annotations

import hashlib

import pandas as pd

#: The standardized columns whose values identify a person or company.
IDENTIFYING_COLUMNS: tuple[str, ...] = (
    "source_name",
    "given_name_latin",
    "surname_latin",
    "patronymic",
    "date_of_birth",
    "phone_e164",
    "email_key",
    "tax_id",
    "company",
    "street",
    "postcode",
    "city",
    "customer_code",
)


def fingerprints(records: pd.DataFrame) -> pd.Series:
    """One 20-hex-digit fingerprint per row (rows with the same identifying values share it)."""
    cols = [c for c in IDENTIFYING_COLUMNS if c in records.columns]
    joined = records[cols[0]].astype("string").fillna("")
    for col in cols[1:]:
        joined = joined + "\x1f" + records[col].astype("string").fillna("")
    return joined.map(lambda k: hashlib.sha1(k.encode("utf-8")).hexdigest()[:20]).astype("string")
