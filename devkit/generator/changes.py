"""A later night's change mode: last night's staged contacts with a share of them edited, moved, removed or added,
and how many records two linkages put in the same customer (the incremental-night tests and probe)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from transforms.customers.fingerprint import fingerprints


def change_records(contacts: pd.DataFrame, *, share: float, seed: int) -> pd.DataFrame:
    """Tonight's contacts from last night's with ``share`` of the records touched as a night touches them: rows
    edited (a new phone, a new e-mail, a typo in the surname), rows moved down their sheet (a new record id), rows
    removed, and rows added (another record of a known person, or a new person made of a known row's fields with
    another name, phone and e-mail)."""
    rng = np.random.default_rng(seed)
    out = contacts.copy()
    picked = rng.choice(len(out), size=max(int(share * len(out)), 8), replace=False)
    edit, move, drop, copy = np.array_split(picked, 4)
    # Each kind of edit set at once for all its rows (row by row, a frame of three million rows is copied each time).
    kind = np.arange(len(edit)) % 3
    phones = out.index[edit[kind == 0]]
    out.loc[phones, "phone_e164"] = [f"+4869{rng.integers(10**6, 10**7)}" for _ in phones]
    for col in ("email", "email_key"):
        out.loc[out.index[edit[kind == 1]], col] = [f"changed{i}@example.org" for i in np.flatnonzero(kind == 1)]
    surnames = out.index[edit[kind == 2]]
    for col in ("surname", "surname_latin", "surname_key"):
        out.loc[surnames, col] = [None if v is None else f"{v}x" for v in out.loc[surnames, col]]
    out.loc[out.index[move], "record_id"] = [f"moved-{i}" for i in range(len(move))]
    added = out.iloc[copy].copy()
    added["record_id"] = [f"added-{i}" for i in range(len(added))]
    strangers = added.iloc[::2].index
    added.loc[strangers, "phone_e164"] = [f"+4879{rng.integers(10**6, 10**7)}" for _ in strangers]
    added.loc[strangers, ["email", "email_key"]] = None
    for col in ("surname", "surname_latin", "surname_key"):
        added.loc[strangers, col] = [f"Newperson{i}" for i in range(len(strangers))]
    out = pd.concat([out.drop(index=out.index[drop]), added], ignore_index=True)
    out["record_fingerprint"] = fingerprints(out)
    return out


def same_customer_share(one: pd.DataFrame, other: pd.DataFrame) -> float:
    """The share of records two linkages (record_id, customer_id each) put in the same customer, whatever the ids:
    each customer of ``one`` is paired with the customer of ``other`` it shares most records with (each used once,
    largest overlaps first), and a record agrees when its two customers are a pair."""
    both = one.merge(other, on="record_id", suffixes=("_a", "_b"))
    overlap = (
        both.groupby(["customer_id_a", "customer_id_b"])
        .size()
        .rename("n")
        .reset_index()
        .sort_values("n", ascending=False)
    )
    taken_a: set[object] = set()
    taken_b: set[object] = set()
    agree = 0
    for a, b, n in overlap.itertuples(index=False):
        if a not in taken_a and b not in taken_b:
            taken_a.add(a)
            taken_b.add(b)
            agree += int(n)
    return agree / max(len(both), 1)
