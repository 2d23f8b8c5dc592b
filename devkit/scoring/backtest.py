"""Does the class say how a customer will pay? The class given at a past day against the following quarter.

For each of a few past days D (quarters back from the as-of date, early enough that every invoice falling due
in the quarter after D has had time to be paid or to count as unpaid for good), each accounting code is
classed from what was known the day before D, twice: by the whole-history method and by the median rule
alone. Both are then compared with how the code paid the invoices that fell due in the quarter after D, as the
ledger shows them tonight:

* *customers*: the quarter's own class (the policy's median rule over the quarter's invoices, unpaid ones at
  their age tonight), for codes with something due at D and at least one invoice due in the quarter;
* *invoices*: the share of the quarter's invoices whose own lateness falls in the band the class promises
  (on time: by the due date; slight: up to the slight limit; ...; non-payer: beyond the significant limit or
  unpaid).

Pure functions over the settled ledger (ledger.settle); the benchmark probe runs them on the companies.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd

from transforms.receivables.classify import classify
from transforms.receivables.history_class import Evidence, class_index, classify_history, fit_patterns, label_names
from transforms.receivables.metrics import _months_back
from transforms.receivables.settings import GRADED_CLASSES, ReliabilitySettings

_REAL = ("paid", "overdue", "open")


def _day_numbers(values: pd.Series) -> np.ndarray:
    """Dates as days since 1970 (float, NaN for none)."""
    d = pd.to_datetime(values, errors="coerce")
    out = (d - pd.Timestamp("1970-01-01")).dt.days.to_numpy(dtype="float64")
    return out


def _day(day: dt.date) -> float:
    return float((day - dt.date(1970, 1, 1)).days)


def _prepared(invoices: pd.DataFrame, payments: pd.DataFrame, key: str) -> tuple[pd.DataFrame, pd.Index]:
    inv = invoices[invoices["status"].isin(_REAL) & invoices[key].notna()].copy()
    codes, keys = pd.factorize(inv[key], sort=True)
    out = pd.DataFrame(
        {
            "key": codes.astype("int64"),
            "issued": _day_numbers(inv["issued_on"]),
            "due": _day_numbers(inv["due_on"]),
            "fully_paid": _day_numbers(inv["fully_paid_on"]),
            "invoice_key": inv["invoice_key"].to_numpy(),
            "status": inv["status"].to_numpy(),
            "days_from_due": pd.to_numeric(inv["days_from_due"], errors="coerce").to_numpy(dtype="float64"),
        }
    )
    applied = payments[payments["status"] == "applied"]
    out.attrs["payments"] = pd.DataFrame(
        {"invoice_key": applied["invoice_key"].to_numpy(), "paid": _day_numbers(applied["paid_on"])}
    )
    return out, pd.Index(keys)


def state_on(
    inv: pd.DataFrame, day: dt.date, *, keys: int, settings: ReliabilitySettings
) -> tuple[pd.DataFrame, Evidence]:
    """What was known the day before ``day``: the rule's inputs per key and the whole-history evidence."""
    d = _day(day)
    last = d - 1
    known = inv[(inv["issued"] < d) & inv["due"].notna()]
    paid = known["fully_paid"].to_numpy() < d
    passed = known["due"].to_numpy() < last
    due = paid | passed
    days = np.where(paid, known["fully_paid"].to_numpy() - known["due"].to_numpy(), last - known["due"].to_numpy())
    pays = inv.attrs["payments"]
    part_keys = set(pays.loc[pays["paid"] < d, "invoice_key"])
    part = known["invoice_key"].isin(part_keys).to_numpy() & ~paid
    frame = pd.DataFrame(
        {
            "key": known["key"].to_numpy()[due],
            "paid": paid[due],
            "part_paid": part[due],
            "days": days[due],
            "age": (last - known["due"].to_numpy())[due],
        }
    )
    defaulted = ~frame["paid"] & (frame["days"] >= settings.classes.non_payer.min_days_overdue)
    rule_inputs = (
        frame.assign(late=frame["days"].clip(lower=0), defaulted=defaulted)
        .groupby("key")
        .agg(invoices_due=("late", "size"), median_days_late=("late", "median"), share_defaulted=("defaulted", "mean"))
        .reindex(range(keys))
    )
    rule_inputs["invoices_due"] = rule_inputs["invoices_due"].fillna(0)
    return rule_inputs, Evidence.from_frame(frame, keys)


def _band(days: np.ndarray, paid: np.ndarray, settings: ReliabilitySettings) -> np.ndarray:
    c = settings.classes
    limits = [c.on_time_max_median_days_late, c.slight_delay_max_median_days_late]
    limits.append(c.significant_delay_max_median_days_late)
    band = np.searchsorted(np.array(limits, dtype="float64"), days, side="left")
    return np.where(paid, band, len(GRADED_CLASSES) - 1)


def quarter_outcome(
    inv: pd.DataFrame, start: dt.date, end: dt.date, *, as_of: dt.date, settings: ReliabilitySettings
) -> tuple[pd.Series, pd.DataFrame]:
    """How each key paid the invoices falling due in [start, end), as known on ``as_of``: the quarter's class
    (the median rule over them) per key, and each invoice's key and band (index into GRADED_CLASSES)."""
    q = inv[(inv["due"] >= _day(start)) & (inv["due"] < _day(end))]
    paid = (q["status"] == "paid").to_numpy()
    days = np.where(paid, q["days_from_due"].to_numpy(), _day(as_of) - q["due"].to_numpy())
    frame = pd.DataFrame({"key": q["key"].to_numpy(), "paid": paid, "days": days})
    defaulted = ~frame["paid"] & (frame["days"] >= settings.classes.non_payer.min_days_overdue)
    per_key = (
        frame.assign(late=frame["days"].clip(lower=0), defaulted=defaulted)
        .groupby("key")
        .agg(invoices_due=("late", "size"), median_days_late=("late", "median"), share_defaulted=("defaulted", "mean"))
    )
    outcome = classify(per_key, settings)
    bands = pd.DataFrame({"key": frame["key"], "band": _band(days, paid, settings)})
    return outcome, bands


def backtest(
    invoices: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    as_of: dt.date,
    settings: ReliabilitySettings,
    key: str = "customer_code",
    periods: int = 4,
    months: int = 3,
) -> pd.DataFrame:
    """One row per past day: codes and invoices scored, and for each method the share of codes whose class
    matched the next quarter's and the share of the quarter's invoices paid within the class's band."""
    inv, index = _prepared(invoices, payments, key)
    keys = len(index)
    c = settings.classes
    settle_days = max(c.significant_delay_max_median_days_late, c.non_payer.min_days_overdue)
    last_end = as_of - dt.timedelta(days=int(np.ceil(settle_days)) + 1)
    rows = []
    for k in range(periods, 0, -1):
        start = _months_back(last_end, months * k)
        end = _months_back(last_end, months * (k - 1))
        rule_inputs, ev = state_on(inv, start, keys=keys, settings=settings)
        rule = classify(rule_inputs, settings)
        patterns = fit_patterns(ev, class_index(rule), c)
        history = pd.Series(label_names(classify_history(ev, patterns, c).label))
        outcome, bands = quarter_outcome(inv, start, end, as_of=as_of, settings=settings)
        scored = outcome.index[rule.reindex(outcome.index).to_numpy() != "no_history"]
        b = bands[bands["key"].isin(scored)]
        row: dict[str, object] = {
            "classed_on": start,
            "quarter_until": end,
            "codes": len(scored),
            "invoices": len(b),
        }
        for name, given in (("history", history), ("median_rule", rule)):
            row[f"{name}_codes_right"] = float((given.loc[scored] == outcome.loc[scored]).mean())
            promised = class_index(given.to_numpy()[b["key"].to_numpy()])
            row[f"{name}_invoices_in_band"] = float((promised == b["band"].to_numpy()).mean())
        rows.append(row)
    return pd.DataFrame(rows)
