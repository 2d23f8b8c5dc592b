"""Name-only records joined to the one customer that carries their full name, when that name is rare enough.

A call journal's or visit log's row often holds a person's name and nothing else to identify them (no phone,
e-mail, date of birth or address). Such a record is not compared pair by pair - its name is its only evidence, and a
name-only pair scored like any other would make every two namesakes one customer. It is looked at after the night's
linking, against the customers formed: it joins one when exactly one customer carries its full name (given name and
surname, either order) and the name is rare enough that the probability of the record being that customer's reaches
the match threshold. Fellegi-Sunter, at the customer level, with a term-frequency u:

- prior: the share of the night's linkable records that belong to a customer with other records, spread over the
  customers (the record is one of theirs, any one alike); otherwise it is a new person's, the only other way its
  name can be exactly this one, as no other customer carries it;
- m: how often one person's two records agree exactly on the whole name (the fitted model's top level);
- u: how likely another person carries this very name. The share of customers carrying it says little for a name
  seen once, so it is estimated as a name seen by one customer (Good-Turing: twice the names carried by two customers
  over those carried by one, out of all customers) and, where larger, as its words' own shares multiplied together:
  a name seen once made of a common given name and a common surname ("Ivan Ivanov") is still a common name.

A name two customers carry, or a common one, leaves the record a customer of its own.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd

from transforms.linkage.model import FittedModel
from transforms.linkage.prepare import LINKABLE
from transforms.linkage.settings import LinkageSettings

log = logging.getLogger(__name__)


@dataclass
class NameOnlyJoins:
    """Which name-only records joined a customer: positions, the customer's label, the match probability."""

    records: np.ndarray
    labels: np.ndarray
    probability: np.ndarray
    name_only_records: int


def full_names(prepared: pd.DataFrame, settings: LinkageSettings) -> np.ndarray:
    """Each record's full name as its two words in alphabetical order (so the order written does not matter), or
    None where a part is missing or is a single letter (an initial names no one)."""
    cmp = settings.comparison(settings.name_only.comparison)
    assert cmp.surname_column is not None
    given = prepared[cmp.column].to_numpy(object)
    surname = prepared[cmp.surname_column].to_numpy(object)
    out = np.full(len(prepared), None, dtype=object)
    for i, (g, s) in enumerate(zip(given, surname, strict=True)):
        if isinstance(g, str) and isinstance(s, str) and len(g) > 1 and len(s) > 1:
            out[i] = f"{g} {s}" if g <= s else f"{s} {g}"
    return out


def name_shares(names: pd.Series, labels: pd.Series) -> tuple[pd.Series, pd.Series, float]:
    """Per full name, how many customers carry it; per word, the share of customers whose name holds it; and the
    Good-Turing share of one person's name seen by one customer (2 * N2 / N1 over all customers)."""
    carried = pd.DataFrame({"name": names, "label": labels}).drop_duplicates()
    customers = max(int(carried["label"].nunique()), 1)
    per_name = carried.groupby("name")["label"].size()
    seen = per_name.value_counts()
    n1, n2 = int(seen.get(1, 0)), int(seen.get(2, 0))
    once = (2.0 * n2 / n1 if n1 else 1.0) / customers
    words = carried.assign(word=carried["name"].str.split(" ")).explode("word").drop_duplicates(["label", "word"])
    per_word = words.groupby("word")["label"].size() / customers
    return per_name, per_word, min(once, 1.0)


def name_only_joins(
    prepared: pd.DataFrame, labels: np.ndarray, model: FittedModel, settings: LinkageSettings
) -> NameOnlyJoins:
    """The name-only records (a full name, nothing else a record must have to be linked) that join a customer."""
    empty = np.empty(0, dtype=np.int64)
    rule = settings.name_only
    if not settings.joins_name_only:
        return NameOnlyJoins(empty, empty, np.empty(0), 0)
    names = full_names(prepared, settings)
    linkable = prepared[LINKABLE].to_numpy(dtype=bool)
    alone = np.flatnonzero(~linkable & pd.notna(names))
    if not len(alone) or settings.link_type != "dedupe_and_link":
        return NameOnlyJoins(empty, empty, np.empty(0), len(alone))
    named = np.flatnonzero(linkable & pd.notna(names))
    sizes = np.bincount(labels[linkable])
    share_linked = float((sizes[labels[linkable]] > 1).mean()) if linkable.any() else 0.0
    per_name, per_word, once = name_shares(pd.Series(names[named]), pd.Series(labels[named]))
    customers = len(np.unique(labels[named]))
    single = per_name[per_name == 1].index
    owner = pd.Series(labels[named], index=names[named])
    owner = owner[owner.index.isin(single)]
    owner = owner[~owner.index.duplicated()]
    wanted = pd.Series(names[alone])
    carried = wanted.isin(owner.index).to_numpy()
    at, name = alone[carried], wanted[carried].to_numpy(object)
    if not len(at):
        return NameOnlyJoins(empty, empty, np.empty(0), len(alone))
    two = pd.Series(name).str.split(" ", n=1, expand=True)
    by_words = (two[0].map(per_word).fillna(0.0) * two[1].map(per_word).fillna(0.0)).to_numpy(float)
    u = np.maximum(once, by_words)
    m = model.params(rule.comparison).m[-1]
    # Another person's record: a new person's, who carries the name with probability u, or another customer's,
    # whose name is not this one and who would carry it only through a typo - left out.
    odds = share_linked / max(1.0 - share_linked, 1e-9) / max(customers, 1) * m / u
    prob = odds / (1.0 + odds)
    ok = (prob >= settings.thresholds.match) & (u <= rule.max_name_share)
    log.info(
        "name-only records: %d, %d carry the name of exactly one customer, %d joined it (share of names seen once "
        "%.2g, m %.3f, share linked %.3f)",
        len(alone),
        len(at),
        int(ok.sum()),
        once,
        m,
        share_linked,
    )
    return NameOnlyJoins(at[ok], owner.loc[name[ok]].to_numpy(np.int64), prob[ok], len(alone))
