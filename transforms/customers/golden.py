"""The golden record: one row per customer, each field chosen from the customer's records by survivorship rules.

Every chosen value keeps its provenance (which source, file, sheet and row gave it, and by which rule),
so an analyst or a steward can always answer "where does this phone number come from?".
All choices are vectorized: the records are sorted once per rule and the first candidate per customer wins.
"""

from __future__ import annotations

from collections.abc import Sequence

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
    text = values.astype("string")
    return values.notna() & text.str.strip().fillna("").ne("")


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
    """
    plan = settings.plan()
    read = ["customer_id", "record_id", "record_date", "responsible", "source_name", "source_kind", *RECORD_LOCATION]
    read += [c for fields, _, agree_on in plan for c in (*fields, agree_on)]
    # Only the columns the rules read: the records of a large night are wide, and each rule copies its rows.
    frame = records[[c for c in dict.fromkeys(read) if c in records.columns]].copy()
    frame["account_manager"] = frame["responsible"].where(~frame["responsible"].isin(list(unassigned)))
    frame["_date"] = pd.to_datetime(frame["record_date"], errors="coerce")
    frame["_rank"] = source_rank(frame, settings.priority)
    frame = frame.reset_index(drop=True)
    # Two global orders, computed once: latest first (ties to the trusted source), trusted first (ties to latest).
    date_key = frame["_date"].fillna(pd.Timestamp.min)
    recent = np.lexsort(
        (
            frame["record_id"].to_numpy(),
            frame["_rank"].to_numpy(),
            -date_key.astype("int64").to_numpy(),
            frame["customer_id"].to_numpy(),
        )
    )
    trusted = np.lexsort(
        (
            frame["record_id"].to_numpy(),
            -date_key.astype("int64").to_numpy(),
            frame["_rank"].to_numpy(),
            frame["customer_id"].to_numpy(),
        )
    )
    position = {"most_recent": recent, "source_priority": trusted}

    golden = pd.DataFrame({"customer_id": pd.unique(frame["customer_id"])})
    provenance: list[pd.DataFrame] = []
    for fields, rule, agree_on in plan:
        has = _present(frame[fields[0]]).to_numpy()
        kept = list(dict.fromkeys(["customer_id", "record_id", *fields, *RECORD_LOCATION, agree_on]))
        chosen = _choose(frame[kept], has, agree_on, rule, position)
        picked = chosen[["customer_id", *fields, *RECORD_LOCATION]]
        golden = golden.merge(picked[["customer_id", *fields]], on="customer_id", how="left")
        for f in fields:
            got = picked[_present(picked[f])]
            provenance.append(
                got[["customer_id", *RECORD_LOCATION]].assign(field=f, rule=rule)[list(PROVENANCE_COLUMNS)]
            )

    stats = frame.groupby("customer_id", sort=False).agg(
        first_seen_on=("_date", "min"),
        last_updated_on=("_date", "max"),
        record_count=("record_id", "size"),
        source_count=("source_name", "nunique"),
    )
    names = (
        frame[["customer_id", "source_name"]]
        .drop_duplicates()
        .sort_values(["customer_id", "source_name"])
        .groupby("customer_id", sort=False)["source_name"]
        .agg(",".join)
        .rename("sources")
    )
    golden = golden.join(stats, on="customer_id").join(names, on="customer_id")
    for col in ("first_seen_on", "last_updated_on"):
        golden[col] = golden[col].dt.date
    golden["completeness"] = completeness(golden, requirements)
    # A row per customer and chosen field (twenty million at a million customers): one copy joined, one sorted.
    prov = pd.concat(provenance, ignore_index=True) if provenance else pd.DataFrame(columns=PROVENANCE_COLUMNS)
    del provenance
    prov = prov.sort_values(["customer_id", "field"], kind="stable", ignore_index=True)
    return golden[list(GOLDEN_COLUMNS)].sort_values("customer_id", ignore_index=True), prov


def _choose(
    frame: pd.DataFrame, has: np.ndarray, key: str, rule: Rule, position: dict[str, np.ndarray]
) -> pd.DataFrame:
    if rule in ("most_recent", "source_priority"):
        order = position[rule]
        first: pd.DataFrame = frame.iloc[order[has[order]]].drop_duplicates("customer_id", keep="first")
        return first
    order = position["most_recent"]
    cands = frame.iloc[order[has[order]]]
    votes = cands.groupby(["customer_id", cands[key].astype("string")], sort=False, dropna=False)[
        "record_id"
    ].transform("size")
    cands = cands.assign(_votes=votes.to_numpy(), _pos=np.arange(len(cands)))
    if rule == "most_frequent":
        # The value most records agree on; ties to the latest record.
        cands = cands.sort_values(["customer_id", "_votes", "_pos"], ascending=[True, False, True], kind="stable")
    else:
        # latest_confirmed: the latest value written in at least two records (a one-off typo never wins,
        # a new married name wins once it is written twice); a customer with no repeated value keeps its latest.
        cands = cands.assign(_unconfirmed=cands["_votes"] < 2)
        cands = cands.sort_values(["customer_id", "_unconfirmed", "_pos"], kind="stable")
    winners: pd.DataFrame = cands.drop_duplicates("customer_id", keep="first")
    return winners


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
