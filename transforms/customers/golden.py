"""The golden record: one row per customer, each field chosen from the customer's records by survivorship rules.

Every chosen value keeps its provenance (which source, file, sheet and row gave it, and by which rule),
so an analyst or a steward can always answer "where does this phone number come from?".
All choices are vectorized: the records are sorted once per rule and the first candidate per customer wins.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from transforms.customers.settings import Rule, SurvivorshipSettings
from transforms.lineage import RECORD_LOCATION, RUN_STAMP
from transforms.warehouse.table_schemas import columns_except

#: core.customer as the linkage stage builds it (the night's stamp is added when it is written).
GOLDEN_COLUMNS: tuple[str, ...] = columns_except("core.customer", RUN_STAMP)
#: core.customer_field_provenance likewise: which row gave each chosen value, and by which rule.
PROVENANCE_COLUMNS: tuple[str, ...] = columns_except("core.customer_field_provenance", RUN_STAMP)


def record_dates(contacts: pd.DataFrame, interactions: pd.DataFrame | None) -> pd.Series:
    """When each record was last known true: its written last update, else its call or visit date."""
    dates = pd.to_datetime(contacts["last_updated_on"], errors="coerce")
    if interactions is not None and len(interactions):
        when = pd.to_datetime(interactions.set_index("record_id")["interaction_at"], errors="coerce")
        when = when[~when.index.duplicated()]
        dates = dates.fillna(contacts["record_id"].map(when))
    return dates.dt.normalize()


def source_rank(contacts: pd.DataFrame, priority: Sequence[str]) -> pd.Series:
    """Trust order of each record's source: a source name in ``priority`` first, else its kind; unlisted last."""
    order = {name: i for i, name in enumerate(priority)}
    by_name = contacts["source_name"].map(order)
    by_kind = contacts["source_kind"].map(order)
    return by_name.fillna(by_kind).fillna(len(priority)).astype("int64")


def _present(values: pd.Series) -> pd.Series:
    """Whether each value is written: not missing and not blank. Decided once per distinct value (a column of
    three million records holds far fewer), as the text of the value."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if not len(uniques):
        return pd.Series(False, index=values.index)
    written = pd.Series(uniques).astype("string").str.strip().fillna("").ne("").to_numpy(dtype=bool)
    return pd.Series((codes >= 0) & written[np.maximum(codes, 0)], index=values.index)


def _ranks(values: pd.Series) -> np.ndarray:
    """Each value's place among the distinct values in ascending order: sorting by it sorts by the value, with
    integers where the values are texts (sorting three million texts compares Python objects one by one)."""
    codes, _ = pd.factorize(values, sort=True, use_na_sentinel=True)
    return codes.astype(np.int64)


def _first_per_customer(positions: np.ndarray, customer: np.ndarray) -> np.ndarray:
    """The first of ``positions`` (ordered by customer) of each customer that has one."""
    c = customer[positions]
    starts = np.ones(len(c), dtype=bool)
    starts[1:] = c[1:] != c[:-1]
    return positions[starts]


def golden_inputs(settings: SurvivorshipSettings) -> list[str]:
    """The columns of the records ``build_golden`` reads under ``settings``."""
    read = ["customer_id", "record_id", "record_date", "responsible", "source_name", "source_kind", *RECORD_LOCATION]
    read += [c for fields, _, agree_on in settings.plan() for c in (*fields, agree_on)]
    return list(dict.fromkeys(read))


def build_golden(
    records: pd.DataFrame,
    *,
    settings: SurvivorshipSettings,
    requirements: Sequence[Sequence[str]],
    unassigned: Sequence[str] = (),
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Golden records and per-field provenance.

    ``records`` is the staged contact table with ``customer_id`` and ``record_date`` added. ``requirements``
    lists the mandatory fields as groups of golden columns (a group is met when one of its columns has a
    value, e.g. ``("phone_e164", "email")``); completeness is the share of groups met.

    Customers and records are handled as integer codes in the order of their ids (a night of a million customers
    has three million records): every choice is a sort of integers and a pick of the first row per customer, and
    each chosen value is placed at its customer's position, where joining on the ids would hash them again for
    every field.
    """
    plan = settings.plan()
    # Only the columns the rules read: the records of a large night are wide.
    frame = records[[c for c in golden_inputs(settings) if c in records.columns]].reset_index(drop=True)
    frame["account_manager"] = frame["responsible"].where(~frame["responsible"].isin(list(unassigned)))
    frame["_date"] = pd.to_datetime(frame["record_date"], errors="coerce")
    frame["_rank"] = source_rank(frame, settings.priority)
    customer_codes, customer_ids = pd.factorize(frame["customer_id"], sort=True)
    customer = customer_codes.astype(np.int64)
    record = _ranks(frame["record_id"])
    # Two global orders, computed once: latest first (ties to the trusted source), trusted first (ties to latest).
    latest_first = -frame["_date"].fillna(pd.Timestamp.min).astype("int64").to_numpy()
    rank = frame["_rank"].to_numpy()
    position = {
        "most_recent": np.lexsort((record, rank, latest_first, customer)),
        "source_priority": np.lexsort((record, latest_first, rank, customer)),
    }

    every = np.arange(len(customer_ids))
    golden = pd.DataFrame({"customer_id": customer_ids.array})
    given: list[_Given] = []
    for fields, rule, agree_on in plan:
        has = _present(frame[fields[0]]).to_numpy()
        chosen = _choose(frame, customer, has, key=agree_on, rule=rule, position=position)
        picked = pd.DataFrame(
            {c: frame[c].array.take(chosen) for c in dict.fromkeys([*fields, *RECORD_LOCATION])},
            index=customer[chosen],
        )
        # Each customer's chosen values at its place; a customer with no value for the block gets none.
        placed = picked[list(fields)].reindex(every)
        for f in fields:
            golden[f] = placed[f].to_numpy()
            got = _present(picked[f]).to_numpy()
            given.append(_Given(f, rule, picked.index.to_numpy()[got], {c: picked[c][got] for c in RECORD_LOCATION}))

    stats = (
        frame.groupby(customer, sort=True)
        .agg(
            first_seen_on=("_date", "min"),
            last_updated_on=("_date", "max"),
            record_count=("record_id", "size"),
            source_count=("source_name", "nunique"),
        )
        .reindex(every)
    )
    for col in stats.columns:
        golden[col] = stats[col].to_numpy()
    golden["sources"] = _source_names(customer, frame["source_name"], len(customer_ids))
    for col in ("first_seen_on", "last_updated_on"):
        golden[col] = golden[col].dt.date
    golden["completeness"] = completeness(golden, requirements)
    return golden[list(GOLDEN_COLUMNS)], _provenance(given, customer_ids)


@dataclass(frozen=True)
class _Given:
    """The customers given a value for one field by one rule, each with the row the value came from."""

    field: str
    rule: str
    customers: np.ndarray
    rows: dict[str, pd.Series]


def _provenance(given: list[_Given], customer_ids: pd.Index) -> pd.DataFrame:
    """core.customer_field_provenance, ordered by customer and field: a row per customer and chosen field (twenty
    million at a million customers), so it is put together a column at a time, each taken once in that order."""
    if not given:
        return pd.DataFrame(columns=list(PROVENANCE_COLUMNS))
    sizes = [len(g.customers) for g in given]
    names = sorted({g.field for g in given})
    field_rank = np.repeat([names.index(g.field) for g in given], sizes)
    order = np.lexsort((field_rank, np.concatenate([g.customers for g in given])))
    columns: dict[str, Any] = {}
    for c in PROVENANCE_COLUMNS:
        if c == "customer_id":
            columns[c] = customer_ids.take(np.concatenate([g.customers for g in given])[order]).array
        elif c in ("field", "rule"):
            columns[c] = np.repeat(np.asarray([getattr(g, c) for g in given], dtype=object), sizes)[order]
        else:
            columns[c] = pd.concat([g.rows[c] for g in given], ignore_index=True).take(order).array
    return pd.DataFrame(columns)


def _source_names(customer: np.ndarray, source_name: pd.Series, customers: int) -> np.ndarray:
    """Per customer, the names of its records' sources, distinct, in alphabetical order, comma-separated."""
    codes, names = pd.factorize(source_name, sort=True)
    seen = codes >= 0
    if len(names) <= 63:  # a night has a few dozen sources at most: each customer's set as the bits of a number
        sets = np.zeros(customers, dtype=np.uint64)
        np.bitwise_or.at(sets, customer[seen], np.left_shift(np.uint64(1), codes[seen].astype(np.uint64)))
        kinds, of = np.unique(sets, return_inverse=True)
        labels = [",".join(str(n) for i, n in enumerate(names) if int(k) >> i & 1) or None for k in kinds]
        return np.asarray(labels, dtype=object)[of]
    width = len(names)
    pairs = np.unique(customer[seen] * width + codes[seen])  # sorted: by customer, then by name
    frame = pd.DataFrame({"customer": pairs // width, "name": np.asarray(names, dtype=object)[pairs % width]})
    joined = frame.groupby("customer", sort=True)["name"].agg(",".join).reindex(np.arange(customers))
    return joined.to_numpy(dtype=object)


def _choose(
    frame: pd.DataFrame,
    customer: np.ndarray,
    has: np.ndarray,
    *,
    key: str,
    rule: Rule,
    position: dict[str, np.ndarray],
) -> np.ndarray:
    """The position of each customer's chosen record for a rule (customers without a value for it have none), in
    the order of the customers."""
    if rule in ("most_recent", "source_priority"):
        order = position[rule]
        return _first_per_customer(order[has[order]], customer)
    order = position["most_recent"]
    cands = order[has[order]]
    # How many of the customer's records hold each value (compared as text; a missing one is a value of its own).
    value_codes, values = pd.factorize(frame[key].iloc[cands].astype("string"), use_na_sentinel=True)
    value_codes = np.where(value_codes < 0, len(values), value_codes).astype(np.int64)
    _, group, counts = np.unique(
        customer[cands] * (len(values) + 1) + value_codes, return_inverse=True, return_counts=True
    )
    votes = counts[group]
    at = np.arange(len(cands))
    if rule == "most_frequent":
        # The value most records agree on; ties to the latest record.
        ranked = np.lexsort((at, -votes, customer[cands]))
    else:
        # latest_confirmed: the latest value written in at least two records (a one-off typo never wins,
        # a new married name wins once it is written twice); a customer with no repeated value keeps its latest.
        ranked = np.lexsort((at, votes < 2, customer[cands]))
    return _first_per_customer(cands[ranked], customer)


def completeness(golden: pd.DataFrame, requirements: Sequence[Sequence[str]]) -> pd.Series:
    """Share of the mandatory-field groups a golden record meets (1.0 when nothing is required)."""
    if not requirements:
        return pd.Series(1.0, index=golden.index)
    met = pd.DataFrame(
        {
            i: np.logical_or.reduce([_present(golden[c]).to_numpy() for c in group])
            for i, group in enumerate(requirements)
        }
    )
    return met.mean(axis=1).round(4)
