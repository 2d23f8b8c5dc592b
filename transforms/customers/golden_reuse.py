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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from transforms.customers.golden import GOLDEN_COLUMNS, PROVENANCE_COLUMNS, build_golden
from transforms.customers.settings import SurvivorshipSettings
from transforms.lineage import RUN_STAMP


@dataclass(frozen=True)
class KeptGolden:
    """Last night's golden records, their provenance, each record's key and customer, and the settings' hash."""

    settings_hash: str
    #: record_id, customer_id, row_key.
    row_keys: pd.DataFrame
    customers: pd.DataFrame
    provenance: pd.DataFrame


def golden_settings_hash(
    settings: SurvivorshipSettings, requirements: Sequence[Sequence[str]], unassigned: Sequence[str]
) -> str:
    """A hash of everything besides the records that a golden record depends on."""
    data = {
        "survivorship": settings.model_dump(mode="json"),
        "requirements": [list(g) for g in requirements],
        "unassigned": sorted(unassigned),
    }
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode("utf-8")).hexdigest()[:20]


#: Rows hashed at once by ``row_keys`` (the key of a row does not depend on the others).
_KEY_ROWS = 200_000


def row_keys(records: pd.DataFrame, extra: Mapping[str, pd.Series] | None = None) -> pd.DataFrame:
    """record_id, customer_id and a hash of each record's staged row and record date (the night's stamp left out).

    ``extra``: columns (aligned with ``records`` by position) hashed as if they were ``records``' own, e.g. the
    customer_id and record_date of staged contacts, which a large night does not copy whole to add them."""
    more = {name: values.array for name, values in (extra or {}).items()}
    cols = sorted(c for c in {*records.columns, *more} if c not in (*RUN_STAMP, "customer_id"))

    def rows(at: int) -> pd.DataFrame:
        end = at + _KEY_ROWS
        return pd.DataFrame({c: more[c][at:end] if c in more else records[c].array[at:end] for c in cols})

    # In pieces of rows: every value is written as text to be hashed, a large night's records many times over.
    keys = np.concatenate(
        [
            pd.util.hash_pandas_object(rows(at).astype("string"), index=False).to_numpy(np.uint64)
            for at in range(0, len(records), _KEY_ROWS)
        ]
        or [np.empty(0, np.uint64)]
    )
    customer = more["customer_id"] if "customer_id" in more else records["customer_id"].array
    return pd.DataFrame(
        {
            "record_id": records["record_id"].to_numpy(),
            "customer_id": np.asarray(customer, dtype=object),
            "row_key": keys,
        }
    )


def _prints(keys: pd.DataFrame) -> pd.DataFrame:
    """Per customer, its records' keys summed (40-bit parts, so the sum stays exact) and counted."""
    each = pd.util.hash_pandas_object(keys[["record_id", "row_key"]].astype("string"), index=False)
    part = (each.to_numpy(np.uint64) >> np.uint64(24)).astype(np.int64)
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
    if not reusable:
        golden, provenance = build_golden(records, settings=settings, requirements=requirements, unassigned=unassigned)
        return golden, provenance, 0
    assert kept is not None
    todo = records[~records["customer_id"].isin(reusable)]
    old_golden = kept.customers[kept.customers["customer_id"].isin(reusable)][list(GOLDEN_COLUMNS)]
    old_prov = kept.provenance[kept.provenance["customer_id"].isin(reusable)][list(PROVENANCE_COLUMNS)]
    parts = [(old_golden, old_prov)]
    if len(todo):
        parts.append(build_golden(todo, settings=settings, requirements=requirements, unassigned=unassigned))
    golden = pd.concat([g for g, _ in parts], ignore_index=True)
    provenance = pd.concat([p for _, p in parts], ignore_index=True)
    golden = golden.sort_values("customer_id", ignore_index=True)
    provenance = provenance.sort_values(["customer_id", "field"], kind="stable", ignore_index=True)
    return golden, provenance, len(reusable)
