"""A night with 2% of the records changed keeps the customer ids of the records that did not change."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.support import PipelineRun
from transforms.customers.consolidate import link_customers
from transforms.customers.fingerprint import fingerprints
from transforms.linkage import load_linkage_settings


def _change_two_percent(contacts: pd.DataFrame, seed: int) -> tuple[pd.DataFrame, pd.Index]:
    """Edit 2% of the rows the way people do: a new phone, a new e-mail, a typo in the surname, a moved row."""
    rng = np.random.default_rng(seed)
    out = contacts.copy()
    picked = out.sample(frac=0.02, random_state=seed).index
    for i, idx in enumerate(picked):
        match i % 4:
            case 0:
                out.loc[idx, "phone_e164"] = f"+4869{rng.integers(10**6, 10**7)}"
            case 1:
                out.loc[idx, ["email", "email_key"]] = f"changed{i}@example.org"
            case 2:
                for col in ("surname", "surname_latin", "surname_key"):
                    value = out.loc[idx, col]
                    out.loc[idx, col] = None if value is None else f"{value}x"
            case _:
                out.loc[idx, "record_id"] = f"moved-{i}"  # the same row, now further down its sheet
    out["record_fingerprint"] = fingerprints(out)
    return out, picked


@pytest.fixture(scope="module")
def nights(pipeline_run: PipelineRun) -> tuple[pd.DataFrame, pd.DataFrame, pd.Index]:
    contacts = pd.read_parquet(pipeline_run.run_dir / "standardize" / "contact.parquet")
    contacts["record_fingerprint"] = fingerprints(contacts)
    settings = load_linkage_settings(pipeline_run.sample_dir / "sources.yml")
    _, _, first = link_customers(contacts, settings, previous=None, next_number=1)
    previous = first.records.merge(contacts[["record_id", "record_fingerprint"]], on="record_id")
    changed, picked = _change_two_percent(contacts, seed=5)
    _, _, second = link_customers(changed, settings, previous=previous, next_number=10**6)
    night1 = first.records.set_index("record_id")["customer_id"]
    night2 = second.records.set_index("record_id")["customer_id"]
    return (
        contacts.assign(night1=contacts["record_id"].map(night1)),
        changed.assign(night2=changed["record_id"].map(night2)),
        picked,
    )


def test_unchanged_records_keep_their_customer_id(nights: tuple[pd.DataFrame, pd.DataFrame, pd.Index]) -> None:
    before, after, picked = nights
    unchanged = ~before.index.isin(picked)
    kept = (before.loc[unchanged, "night1"] == after.loc[unchanged, "night2"]).mean()
    assert kept >= 0.99, f"only {kept:.2%} of unchanged records kept their customer id"


def test_a_moved_row_keeps_its_customer(nights: tuple[pd.DataFrame, pd.DataFrame, pd.Index]) -> None:
    before, after, picked = nights
    moved = after.loc[picked][after.loc[picked, "record_id"].str.startswith("moved-")].index
    assert len(moved) > 0
    same = (before.loc[moved, "night1"] == after.loc[moved, "night2"]).mean()
    assert same >= 0.9
