"""A record's content fingerprint: what identifies the person in a row, independent of where the row sits.

Row numbers shift when a manager inserts a row, so steward decisions and customer ids are carried from
night to night by fingerprint as well as by location. A fingerprint changes exactly when the identifying
evidence in the row changes, which is when a decision about it should be looked at again.
"""

from __future__ import annotations

import hashlib

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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
    """One 20-hex-digit fingerprint per row (rows with the same identifying values share it): the SHA-1 of the
    identifying values as text, a missing one empty, joined by the unit separator (joined by Arrow: three million
    records' texts are put together in C, not a column at a time in pandas)."""
    cols = [c for c in IDENTIFYING_COLUMNS if c in records.columns]
    texts = [pa.array(records[c].astype("string"), type=pa.string(), from_pandas=True) for c in cols]
    joined = pc.binary_join_element_wise(*texts, "\x1f", null_handling="replace", null_replacement="")
    keys = joined.to_numpy(zero_copy_only=False)
    hashed = [hashlib.sha1(k.encode("utf-8")).hexdigest()[:20] for k in keys]
    return pd.Series(hashed, index=records.index, dtype="string")
