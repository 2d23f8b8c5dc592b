"""An incremental night's golden records: last night's for the customers whose records are exactly as they were.

A golden record is a function of its customer's records alone (and of the survivorship and quality settings), so a
customer holding the same records, each with the same content and date, has the same golden record and provenance
as last night. Each night keeps a key per record (``row_keys``: a hash of the staged row and its record date); a
customer is reused when the keys of its records tonight are those it had last night, under settings whose hash
(``golden_settings_hash``) has not changed. Only the other customers' golden records are built again.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd

from transforms.customers.golden import GOLDEN_COLUMNS, PROVENANCE_COLUMNS, build_golden
from transforms.customers.settings import SurvivorshipSettings
from transforms.lineage import RUN_STAMP
from transforms.row_hash import KEYS_VERSION, row_hashes
from transforms.text_order import sorted_by_text

#: Last night's golden records (GOLDEN_COLUMNS) and provenance (PROVENANCE_COLUMNS) of the customers named.
GoldenReader = Callable[[set[str]], tuple[pd.DataFrame, pd.DataFrame]]


@dataclass(frozen=True)
class KeptGolden:
    """Each of last night's records' key and customer, the settings' hash, and how to read last night's golden
    records and provenance.

    They are read only once the reused customers are known, and only theirs: at a million customers last night's
    provenance alone is ten million rows, which an incremental night would otherwise hold in memory all through
    the linkage."""

    settings_hash: str
    #: record_id, customer_id, row_key.
    row_keys: pd.DataFrame
    read: GoldenReader

    @classmethod
    def holding(
        cls, settings_hash: str, row_keys: pd.DataFrame, customers: pd.DataFrame, provenance: pd.DataFrame
    ) -> KeptGolden:
        """Last night's golden records and provenance as frames already in memory."""

        def read(reused: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
            golden = customers[customers["customer_id"].isin(reused)][list(GOLDEN_COLUMNS)]
            return golden, provenance[provenance["customer_id"].isin(reused)][list(PROVENANCE_COLUMNS)]

        return cls(settings_hash, row_keys, read)


def golden_settings_hash(
    settings: SurvivorshipSettings, requirements: Sequence[Sequence[str]], unassigned: Sequence[str]
) -> str:
    """A hash of everything besides the records that a golden record depends on, and of how records are keyed
    (keys made another way cannot be compared)."""
    data = {
        "keys": KEYS_VERSION,
        "survivorship": settings.model_dump(mode="json"),
        "requirements": [list(g) for g in requirements],
        "unassigned": sorted(unassigned),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:20]


def row_keys(records: pd.DataFrame, extra: Mapping[str, pd.Series] | None = None) -> pd.DataFrame:
    """record_id, customer_id and a hash of each record's staged row and record date (the night's stamp left out).

    ``extra``: columns (aligned with ``records`` by position) hashed as if they were ``records``' own, e.g. the
    customer_id and record_date of staged contacts, which a large night does not copy whole to add them."""
    more = {name: values.reset_index(drop=True) for name, values in (extra or {}).items()}
    cols = sorted(c for c in {*records.columns, *more} if c not in (*RUN_STAMP, "customer_id"))
    keys = row_hashes({c: more[c] if c in more else records[c].reset_index(drop=True) for c in cols})
    customer = more["customer_id"].array if "customer_id" in more else records["customer_id"].array
    return pd.DataFrame(
        {
            "record_id": records["record_id"].to_numpy(),
            "customer_id": np.asarray(customer, dtype=object),
            "row_key": keys,
        }
    )


def _prints(keys: pd.DataFrame) -> pd.DataFrame:
    """Per customer, its records' keys summed (40-bit parts, so the sum stays exact) and counted."""
    each = row_hashes({"record_id": keys["record_id"], "row_key": keys["row_key"]})
    part = (each >> np.uint64(24)).astype(np.int64)
    frame = pd.DataFrame({"customer_id": keys["customer_id"].to_numpy(), "h": part})
    return frame.groupby("customer_id")["h"].agg(["sum", "count"])


def unchanged_customers(tonight: pd.DataFrame, before: pd.DataFrame) -> set[str]:
    """The customers whose records (ids and keys) tonight are those they had last night."""
    now, then = _prints(tonight), _prints(before)
    both = now.join(then, how="inner", lsuffix="_now", rsuffix="_then")
    same = (both["sum_now"] == both["sum_then"]) & (both["count_now"] == both["count_then"])
    return {str(c) for c in both.index[same.to_numpy()]}


def golden_records(
    records: pd.DataFrame,
    *,
    settings: SurvivorshipSettings,
    requirements: Sequence[Sequence[str]],
    unassigned: Sequence[str],
    keys: pd.DataFrame,
    kept: KeptGolden | None,
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Golden records and provenance (as ``build_golden``), last night's reused where nothing changed; and how many
    customers were reused."""
    reusable: set[str] = set()
    if kept is not None and kept.settings_hash == golden_settings_hash(settings, requirements, unassigned):
        reusable = unchanged_customers(keys, kept.row_keys)
    build = partial(build_golden, settings=settings, requirements=requirements, unassigned=unassigned)
    if not reusable:
        golden, provenance = build(records)
        return golden, provenance, 0
    assert kept is not None
    todo = records[~records["customer_id"].isin(reusable)]
    fresh = build(todo) if len(todo) else None
    del todo
    # Last night's rows read once tonight's are made, each part let go of as soon as it is copied: at a million
    # customers the provenance is ten million rows.
    golden, provenance = kept.read(reusable)
    missing = reusable - set(golden["customer_id"])
    if missing:  # last night's tables lack some of them (a run folder tampered with): those are built again
        again = build(records[records["customer_id"].isin(missing)])
        golden = pd.concat([golden, again[0]], ignore_index=True)
        provenance = pd.concat([provenance[~provenance["customer_id"].isin(missing)], again[1]], ignore_index=True)
        reusable -= missing
    if fresh is not None:
        golden = pd.concat([golden, fresh[0]], ignore_index=True)
        provenance = pd.concat([provenance, fresh[1]], ignore_index=True)
        del fresh
    golden = sorted_by_text(golden, ["customer_id"])
    provenance = sorted_by_text(provenance, ["customer_id", "field"])
    return golden, provenance, len(reusable)
