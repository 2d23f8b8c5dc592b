"""Every failing value names its customer and the source row to fix.

A manager cannot act on "core.customer, row 126": they need the customer (id, the name as their file writes
it, the source's customer code) and the row of their own file that holds the wrong value. So:

- ``name_customers`` adds ``customer_name`` and ``customer_code`` to the failures of source rows (from the
  staged rows: a contact's name as written and code; an invoice's or payment's customer code, named through
  the accounting customer with that code) and ``customer_id`` where the linkage already knows it;
- ``golden_failures_to_rows`` turns each failure of a golden record into the source rows behind it: the row
  that gave the failing value (``core.customer_field_provenance``), or, when the value is missing, every row
  of the customer (none of them has it). Each such row is marked ``found_on = golden_record``.

``found_on`` says at which level a failure was found (``source_row`` or ``golden_record``), so counts say
which they count.
"""

from __future__ import annotations

from collections.abc import Collection

import pandas as pd

from transforms.lineage import ROW_LOCATION
from transforms.quality.columns import CUSTOMER_COLUMNS, DQ_FAILURE_COLUMNS
from transforms.quality.customer_suite import stripped_texts
from transforms.standardize.fields import standard_column

SOURCE_ROW = "source_row"
GOLDEN_RECORD = "golden_record"


def _text(values: pd.Series) -> pd.Series:
    texts = stripped_texts(values)
    if texts is not None:
        return texts
    out: pd.Series = values.astype("object").map(lambda v: None if _missing(v) else (str(v).strip() or None))
    return out


def _missing(v: object) -> bool:
    """None, NaN, pd.NA or NaT: no value (never the text "<NA>" or "NaT")."""
    return v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and bool(pd.isna(v)))  # type: ignore[call-overload]


def contact_names(contacts: pd.DataFrame) -> pd.DataFrame:
    """Per staged contact row: record_id, customer_name (the name as written), customer_code."""
    if contacts.empty:
        return pd.DataFrame(columns=["record_id", "customer_name", "customer_code"])
    c = contacts
    n = len(c)

    def col(name: str) -> pd.Series:
        return _text(c[name]) if name in c.columns else pd.Series([None] * n, index=c.index, dtype="object")

    parts = pd.concat([col("given_name"), col("patronymic"), col("surname")], axis=1)
    composed = pd.Series(
        [" ".join(v for v in row if v) or None for row in parts.itertuples(index=False)], index=c.index, dtype="object"
    )
    name = col("full_name").fillna(composed).fillna(col("company"))
    return pd.DataFrame(
        {"record_id": c["record_id"].astype(str), "customer_name": name, "customer_code": col("customer_code")}
    )


def name_customers(
    failures: pd.DataFrame,
    *,
    contacts: pd.DataFrame,
    invoices: pd.DataFrame | None = None,
    payments: pd.DataFrame | None = None,
    customer_of: pd.Series | None = None,
) -> pd.DataFrame:
    """The failures with ``customer_id``, ``customer_name``, ``customer_code`` and ``found_on`` filled in.

    ``customer_of`` maps a staged record_id to its customer_id (the linkage's), when known.
    """
    f = failures.copy()
    for col in CUSTOMER_COLUMNS:
        if col not in f.columns:
            f[col] = None
    f["found_on"] = f["found_on"].fillna(SOURCE_ROW)
    named = contact_names(contacts).drop_duplicates("record_id")
    names = named.set_index("record_id")
    by_code = named.dropna(subset=["customer_code"]).drop_duplicates("customer_code").set_index("customer_code")
    codes = pd.Series(dtype="object")
    docs = [d for d in (invoices, payments) if d is not None and len(d) and "customer_code" in d.columns]
    if docs:
        pairs = pd.concat([d[["record_id", "customer_code"]] for d in docs]).drop_duplicates("record_id")
        codes = pairs.set_index("record_id")["customer_code"]
    rid = f["record_id"].astype("object")
    code = rid.map(names["customer_code"]).fillna(rid.map(codes))
    f["customer_code"] = f["customer_code"].fillna(code)
    f["customer_name"] = (
        f["customer_name"]
        .fillna(rid.map(names["customer_name"]))
        .fillna(f["customer_code"].map(by_code["customer_name"]))
    )
    if customer_of is not None and len(customer_of):
        by_code_id = pd.Series(customer_of.to_numpy(), index=customer_of.index.astype(str))
        code_record = by_code.reset_index()
        code_ids = pd.Series(
            code_record["record_id"].map(by_code_id).to_numpy(), index=code_record["customer_code"].to_numpy()
        )
        f["customer_id"] = (
            f["customer_id"].fillna(rid.map(by_code_id)).fillna(f["customer_code"].map(code_ids.dropna()))
        )
    for col in CUSTOMER_COLUMNS:
        f[col] = f[col].astype("object").map(lambda v: None if _missing(v) else v)
    return f


def golden_failures_to_rows(
    failures: pd.DataFrame,
    *,
    links: pd.DataFrame,
    provenance: pd.DataFrame,
    contacts: pd.DataFrame,
    mandatory_kinds: Collection[str] | None = None,
) -> pd.DataFrame:
    """Each golden-record failure as the source rows to fix (lineage, responsible employee and customer named).

    ``links``: record_id, customer_id, source_name, source_kind, source_file, sheet, row_number
    (core.customer_source_record); ``provenance``: customer_id, field (golden column), record_id
    (core.customer_field_provenance); ``contacts``: the staged rows (for the responsible employee, the name as
    written and the code).

    A row is asked to fix only what the company's standard asks of it. A missing mandatory value goes to the
    customer's rows of the kinds the standard applies to (``mandatory_kinds``, quality.yml's
    ``mandatory.applies_to``): a call-centre entry is not where a date of birth is kept when only the sales sheets
    must hold one. Any other failing value goes to the row that gave it; a value no row gave (a golden record's
    last update taken from its latest contact, say) is the consolidated customer's own and names no row.
    """
    columns = DQ_FAILURE_COLUMNS
    if failures.empty:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in columns})
    lineage = list(ROW_LOCATION)
    f = failures.rename(columns={"record_id": "customer_id"}).drop(columns=[*lineage, "responsible"])
    f["_col"] = f["field"].map(lambda x: standard_column(str(x)))
    prov = provenance[["customer_id", "field", "record_id"]].rename(columns={"field": "_col"})
    given = f.merge(prov, on=["customer_id", "_col"], how="inner")
    missing = f.merge(prov[["customer_id", "_col"]], on=["customer_id", "_col"], how="left", indicator=True)
    missing = missing[missing["_merge"] == "left_only"].drop(columns="_merge")
    missing = missing[missing["rule"] == "mandatory_field_missing"]
    behind = links[["customer_id", "record_id", "source_kind"]] if "source_kind" in links else links
    if mandatory_kinds is not None and "source_kind" in behind:
        behind = behind[behind["source_kind"].isin(list(mandatory_kinds))]
    every = missing.merge(behind[["customer_id", "record_id"]], on="customer_id", how="inner")
    rows = pd.concat([given, every], ignore_index=True)
    rows = rows.merge(links[["record_id", *lineage]], on="record_id", how="left")
    # Only the failing rows' contacts are named: the staged contacts are every row of the night.
    contacts = contacts[contacts["record_id"].isin(rows["record_id"])] if len(contacts) else contacts
    who = contacts[["record_id", "responsible"]].drop_duplicates("record_id") if len(contacts) else None
    if who is not None:
        rows = rows.merge(who, on="record_id", how="left")
    else:
        rows["responsible"] = None
    rows["responsible"] = rows["responsible"].fillna("unassigned")
    names = contact_names(contacts).drop_duplicates("record_id")
    rows = rows.merge(names, on="record_id", how="left")
    rows["found_on"] = GOLDEN_RECORD
    rows["message"] = rows["message"].astype(str) + " (found on the consolidated customer " + rows["customer_id"] + ")"
    rows["row_number"] = rows["row_number"].fillna(0).astype("int64")
    rows["sheet"] = rows["sheet"].fillna("")
    out = rows[columns].sort_values([*ROW_LOCATION, "rule", "field"])
    return out.reset_index(drop=True)
