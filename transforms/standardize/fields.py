"""Which column holds each logical field's usable value once it is standardized.

A sources file maps its columns to logical fields (``phone``, ``address``, ``last_updated`` ...); standardization
writes most of them under the same name, and these few under another: the phone in E.164 form, the date of the
last update as a date, an address in one field split into street, city and postcode (the street standing for
it). The staged contacts (staging.contact) and the golden records (core.customer) use the same column names, so
the quality checks, the customer suite and the golden record's completeness read a field through this one map.
"""

from __future__ import annotations

#: Logical field -> the standardized column holding its usable value (a field not listed keeps its name).
STANDARD_COLUMN: dict[str, str] = {"phone": "phone_e164", "last_updated": "last_updated_on", "address": "street"}


def standard_column(field: str) -> str:
    """The standardized column holding ``field``'s usable value."""
    return STANDARD_COLUMN.get(field, field)
