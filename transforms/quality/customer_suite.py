"""The consolidated-customer suite: the company's standard checked on the golden records (core.customer).

The source rows are checked each night by the validate stage; this suite asks the question a manager
asks of the customer base itself: once every source is merged, which customers still lack a surname, a
date of birth or a way to reach them? The linkage stage calls ``customer_suite_failures`` on its
``link/customer.parquet`` and publishes the rows with the night's dq.failure and dq.metric.

How a golden record appears in dq.failure and dq.metric:

- ``source_name`` and ``source_file`` are ``core.customer``, ``sheet`` is empty;
- ``row_number`` is the customer's 1-based position in customer_id order (a running index, stable within
  a night), ``record_id`` is the ``customer_id`` — the key to look the customer up;
- ``responsible`` is the customer's ``account_manager`` (``unassigned`` when there is none);
- ``value`` is the golden record's value (already standardized), not a value as written in a file.

The checks are the ``customer`` suite of ``transforms.quality.checks`` (exported with the other suites for
review) and are evaluated directly with pandas, which a test holds equal to Great Expectations.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from transforms.quality.checks import checks_for
from transforms.quality.columns import FAILING_ROW, FAILURE_COLUMNS, METRIC_COLUMNS
from transforms.quality.evaluate import checked_mask, failing_mask
from transforms.quality.settings import QualitySettings
from transforms.standardize.fields import standard_column
from transforms.standardize.tax_ids import validate_inn, validate_nip
from transforms.standardize.vectorize import map_unique

SOURCE = "core.customer"
UNASSIGNED = "unassigned"


def stripped_texts(values: pd.Series) -> pd.Series | None:
    """A column holding only texts (or nothing), stripped as a whole with blanks as None; None for a column
    holding anything else (dates, numbers), which its caller then reads value by value.

    Most of a golden record and of a staged contact is text: a million customers a night, a dozen columns each.
    """
    if pd.api.types.infer_dtype(values, skipna=True) not in ("string", "empty"):
        return None
    stripped = values.astype("object").str.strip()
    kept = stripped.to_numpy(dtype=object)
    kept[~(stripped.notna() & (stripped != "")).to_numpy()] = None
    return pd.Series(kept, index=values.index, dtype="object")


def _text(values: pd.Series) -> pd.Series:
    """Values as stripped text (dates as ISO dates); None for missing and blank."""
    texts = stripped_texts(values)
    if texts is not None:
        return texts

    def one(v: object) -> str | None:
        if v is None:
            return None
        if isinstance(v, pd.Timestamp | dt.datetime):
            return v.date().isoformat()
        return str(v).strip() or None

    out: pd.Series = values.astype("object").map(lambda v: one(v) if pd.notna(v) else None).astype("object")
    return out


def _tax_id_ok(tax_ids: pd.Series) -> pd.Series:
    """True when a 10-digit NIP or a 10/12-digit INN holds its check digit, False when none does, else None."""

    def one(v: object) -> object:
        digits = "".join(c for c in str(v) if c.isdigit())
        if len(digits) not in (10, 12):
            return None
        return bool((len(digits) == 10 and validate_nip(digits)) or validate_inn(digits))

    return map_unique(_text(tax_ids), lambda v: None if v is None else one(v)).astype("object")


def customer_frame(customers: pd.DataFrame, settings: QualitySettings) -> pd.DataFrame:
    """The golden records with the columns the customer suite tests, in customer_id order."""
    c = customers.sort_values("customer_id", kind="stable").reset_index(drop=True)
    n = len(c)
    out = pd.DataFrame(
        {
            "_row": np.arange(n, dtype="int64"),
            "record_id": c["customer_id"].astype(str).to_numpy(),
            "source_name": SOURCE,
            "source_kind": "customer",
            "source_file": SOURCE,
            "sheet": "",
            "row_number": np.arange(1, n + 1, dtype="int64"),
            "responsible": _text(c.get("account_manager", pd.Series([None] * n))).fillna(UNASSIGNED).to_numpy(),
        }
    )

    def column(field: str) -> pd.Series:
        name = standard_column(field)
        if name not in c.columns:
            return pd.Series([None] * n, dtype="object")
        return _text(c[name]).reset_index(drop=True)

    mand = settings.mandatory
    company = column("company").notna() | column("tax_id").notna()
    for f in mand.single_fields:
        if f.startswith("attributes."):
            continue
        out[f"present__{f}"] = column(f)
        out[f"inscope__{f}"] = ~company if f in mand.not_for_companies else True
    for group in mand.one_of:
        if any(f.startswith("attributes.") for f in group):
            continue
        first = column(group[0])
        for f in group[1:]:
            first = first.where(first.notna(), column(f))
        out[f"present__{'_or_'.join(group)}"] = first
    out["email"] = column("email")
    out["phone_e164"] = column("phone")
    out["date_of_birth"] = column("date_of_birth")
    out["dob_ts"] = pd.to_datetime(out["date_of_birth"], errors="coerce")
    out["last_updated_on"] = column("last_updated")
    out["last_updated_ts"] = pd.to_datetime(out["last_updated_on"], errors="coerce")
    out["tax_id"] = column("tax_id")
    out["tax_id_ok"] = _tax_id_ok(out["tax_id"])
    return out


def _one_value(customers: pd.DataFrame, column: str) -> object:
    if column in customers.columns and customers[column].notna().any():
        return customers[column].dropna().iloc[0]
    return None


def customer_suite_failures(
    customers: pd.DataFrame,
    settings: QualitySettings,
    *,
    as_of: dt.date | None = None,
    run_id: str | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(failures, metrics) of the golden records, shaped like dq.failure and dq.metric.

    ``as_of`` and ``run_id`` default to the frame's own columns (the linkage stage writes both).
    """
    stated = _one_value(customers, "as_of")
    day = as_of or (pd.Timestamp(str(stated)).date() if stated is not None else dt.date.today())
    run = run_id or str(_one_value(customers, "run_id") or "")
    frame = customer_frame(customers, settings)
    failures: list[pd.DataFrame] = []
    metrics: list[pd.DataFrame] = []
    for check in checks_for("customer", settings, day):
        severity = settings.rule(check.rule).severity
        failed = failing_mask(check, frame)
        checked = checked_mask(check, frame)
        if failed.any():
            part = frame.loc[failed, FAILING_ROW]
            part = part.assign(
                field=check.field,
                rule=check.rule,
                severity=severity,
                value=frame.loc[failed, check.value_column]
                .astype("object")
                .where(frame.loc[failed, check.value_column].notna(), None),
                message=check.message,
            )
            failures.append(part)
        counts = pd.DataFrame(
            {
                "source_name": SOURCE,
                "responsible": frame["responsible"],
                "checked": checked.astype("int64"),
                "failed": failed.astype("int64"),
            }
        )
        grouped = counts.groupby(["source_name", "responsible"], as_index=False)[["checked", "failed"]].sum()
        metrics.append(grouped.assign(field=check.field, rule=check.rule, severity=severity))
    if failures:
        fail = pd.concat(failures, ignore_index=True)
    else:
        fail = pd.DataFrame({c: pd.Series(dtype="object") for c in FAILURE_COLUMNS})
    fail["as_of"] = day
    fail["run_id"] = run
    fail["row_number"] = fail["row_number"].astype("int64")
    fail = fail[FAILURE_COLUMNS].sort_values(["row_number", "rule", "field"]).reset_index(drop=True)
    metric = pd.concat(metrics, ignore_index=True) if metrics else pd.DataFrame(columns=METRIC_COLUMNS)
    metric["completeness"] = np.where(
        metric["checked"] > 0, 1 - metric["failed"] / metric["checked"].clip(lower=1), 1.0
    )
    metric["as_of"] = day
    metric["run_id"] = run
    return fail, metric[METRIC_COLUMNS].reset_index(drop=True)
