"""Stable customer ids: tonight's clusters inherit last night's ids, and every merge and split is recorded.

A cluster takes the id most of its records had last night (records are recognised by their location, or
by their content fingerprint when a row moved). An old id goes to at most one cluster, the one holding
most of its records; a cluster none of whose records was known gets a new id. Ids are never reused: new
numbers continue after the highest ever given. So a record's customer changes only when the clusters
change, i.e. when the evidence (the records, the model's verdict or a steward's decision) changes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from transforms.lineage import RUN_STAMP
from transforms.text_order import text_rank
from transforms.warehouse.table_schemas import columns_except

ID_PREFIX = "CUST-"
#: core.customer_id_history as the night's id events are built (the night's stamp is added when it is written).
HISTORY_COLUMNS: tuple[str, ...] = columns_except("core.customer_id_history", RUN_STAMP)


@dataclass(frozen=True)
class IdAssignment:
    """Each record's customer id, and the night's id events."""

    records: pd.DataFrame  # record_id, customer_id
    history: pd.DataFrame  # HISTORY_COLUMNS


def format_id(numbers: pd.Series) -> pd.Series:
    """CUST-0000001 style ids (seven digits, wider when needed)."""
    return ID_PREFIX + numbers.astype("int64").astype(str).str.zfill(7)


def id_number(customer_ids: pd.Series) -> pd.Series:
    """The number inside an id (NaN when it is not one of ours)."""
    return pd.to_numeric(customer_ids.astype("string").str.removeprefix(ID_PREFIX), errors="coerce")


def previous_ids(current: pd.DataFrame, previous: pd.DataFrame | None) -> pd.Series:
    """Last night's customer id of each current record: by location (record_id), else by content fingerprint
    (the id most of last night's records with that fingerprint had; the smallest id on a tie)."""
    if previous is None or previous.empty:
        return pd.Series(pd.NA, index=current.index, dtype="string")
    by_record = previous.drop_duplicates("record_id").set_index("record_id")["customer_id"]
    prev = current["record_id"].map(by_record)
    counts = previous.groupby(["record_fingerprint", "customer_id"], sort=False).size().rename("n").reset_index()
    most = np.lexsort((text_rank(counts["customer_id"]), -counts["n"].to_numpy()))
    by_print = counts.iloc[most].drop_duplicates("record_fingerprint").set_index("record_fingerprint")["customer_id"]
    prev = prev.fillna(current["record_fingerprint"].map(by_print))
    return prev.astype("string")


def assign_customer_ids(clusters: pd.DataFrame, previous: pd.DataFrame | None, *, next_number: int) -> IdAssignment:
    """Give every cluster a customer id.

    ``clusters``: record_id, record_fingerprint, cluster. ``previous``: last published night's record_id,
    record_fingerprint, customer_id (None on the first night). ``next_number``: the first number never used.
    """
    cur = clusters[["record_id", "record_fingerprint", "cluster"]].copy()
    cur["prev"] = previous_ids(cur, previous)
    votes = cur.dropna(subset=["prev"]).groupby(["cluster", "prev"], sort=False).size().rename("votes").reset_index()
    # From most shared records down; ties by old id, then cluster (text ranked, not sorted as Python strings).
    order = np.lexsort((votes["cluster"].to_numpy(), text_rank(votes["prev"]), -votes["votes"].to_numpy()))
    votes = votes.iloc[order]
    # Each old id goes to the cluster holding most of its records; each cluster keeps the best id it won.
    ids = pd.Series(_greedy(votes["cluster"].tolist(), votes["prev"].tolist()), dtype="string")
    # Each cluster's smallest record id, by its rank among the record ids (no sort of the texts themselves).
    rank = text_rank(cur["record_id"])
    smallest = pd.Series(rank).groupby(cur["cluster"].to_numpy()).min()
    new_clusters = smallest[~smallest.index.isin(ids.index)].sort_values(kind="stable").index
    new_ids = pd.Series(
        format_id(pd.Series(range(next_number, next_number + len(new_clusters)))).to_numpy(), index=new_clusters
    )
    all_ids = pd.concat([s.astype("string") for s in (ids, new_ids) if len(s)] or [ids])
    cur["customer_id"] = cur["cluster"].map(all_ids)
    history = _events(cur, previous, set(new_ids.index))
    return IdAssignment(cur[["record_id", "customer_id"]].reset_index(drop=True), history)


def _greedy(clusters: list[object], prevs: list[object]) -> dict[object, object]:
    """Walk (cluster, old id) pairs from most shared records down; each side is used once."""
    taken: set[object] = set()
    out: dict[object, object] = {}
    for cluster, prev in zip(clusters, prevs, strict=True):
        if cluster not in out and prev not in taken:
            out[cluster] = prev
            taken.add(prev)
    return out


def _events(cur: pd.DataFrame, previous: pd.DataFrame | None, new_clusters: set[object]) -> pd.DataFrame:
    size = cur.groupby("customer_id", sort=False).size()
    rows: list[pd.DataFrame] = []
    moved = cur.dropna(subset=["prev"])
    moved = moved[moved["prev"] != moved["customer_id"]]
    flows = moved.groupby(["customer_id", "prev"], sort=False).size().rename("record_count").reset_index()
    surviving = set(cur["customer_id"].dropna())
    is_new = cur.drop_duplicates("customer_id").set_index("customer_id")["cluster"].isin(new_clusters)
    # A new id whose records had no id before: a new customer.
    fresh_ids = set(is_new[is_new].index) - set(flows["customer_id"])
    if fresh_ids:
        rows.append(
            pd.DataFrame({"customer_id": sorted(fresh_ids), "event": "created", "related_customer_id": pd.NA}).assign(
                record_count=lambda d: d["customer_id"].map(size), reason="records not linked to any known customer"
            )
        )
    if len(flows):
        src_alive = flows["prev"].isin(surviving)
        to_new = flows["customer_id"].map(is_new).fillna(False).astype(bool)
        split = flows[to_new & src_alive]
        rows.append(
            split.rename(columns={"prev": "related_customer_id"}).assign(
                event="split_from", reason="records no longer linked to the rest of the customer's records"
            )
        )
        created_from_gone = flows[to_new & ~src_alive]
        rows.append(
            created_from_gone.rename(columns={"prev": "related_customer_id"}).assign(
                event="succeeds", reason="the customer's records regrouped; the old id's records went here"
            )
        )
        merged = flows[~to_new & ~src_alive]
        rows.append(
            merged.rename(columns={"prev": "related_customer_id"}).assign(
                event="absorbed", reason="records of another customer now linked to this one"
            )
        )
        rows.append(
            merged.rename(columns={"customer_id": "related_customer_id", "prev": "customer_id"}).assign(
                event="merged_into", reason="its records are now linked to another customer"
            )
        )
        moved_between = flows[~to_new & src_alive]
        rows.append(
            moved_between.rename(columns={"prev": "related_customer_id"}).assign(
                event="records_moved_in", reason="some records of another customer now linked to this one"
            )
        )
    if previous is not None and len(previous):
        gone = sorted(set(previous["customer_id"].dropna()) - surviving - set(moved["prev"]))
        if gone:
            counts = previous.groupby("customer_id", sort=False).size()
            rows.append(
                pd.DataFrame({"customer_id": gone, "event": "retired", "related_customer_id": pd.NA}).assign(
                    record_count=lambda d: d["customer_id"].map(counts),
                    reason="none of its records is in tonight's sources",
                )
            )
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype="object") for c in HISTORY_COLUMNS})
    out = pd.concat([r for r in rows if len(r)] or [rows[0]], ignore_index=True)
    out["record_count"] = out["record_count"].astype("int64")
    order = ["customer_id", "event", "related_customer_id"]
    return out[list(HISTORY_COLUMNS)].sort_values(order, kind="stable").reset_index(drop=True)
