"""An incremental night (only the changed records compared, with the last full night's model) puts the records in
the same customers as a full relink of that night, keeps the ids of the customers nothing reached, and follows a
steward's new decision; the settings say when a night must be a full relink."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pydantic import ValidationError

from devkit.generator import generate_sample
from devkit.generator.changes import change_records, same_customer_share
from transforms.customers.consolidate import link_customers, with_fingerprints
from transforms.linkage import LinkageSettings, LinkResult, load_linkage_settings
from transforms.linkage.incremental import (
    STATE_VERSION,
    KeptLinkage,
    full_relink_reason,
    kept_pairs,
    link_incremental,
    settings_hash,
)
from transforms.linkage.prepare import prepare_records
from transforms.pipeline import tasks

pytestmark = pytest.mark.slow  # stages and links a 2,000-customer company: full lane only (make test)

NO_DECISIONS = pd.DataFrame({"record_id_l": [], "record_id_r": [], "is_match": pd.Series(dtype=bool)})


@dataclass
class Night:
    contacts: pd.DataFrame
    result: LinkResult
    ids: pd.DataFrame  # record_id, customer_id

    def previous(self) -> pd.DataFrame:
        """What the warehouse remembers of this night (read_previous's frame)."""
        out = self.ids.merge(self.contacts[["record_id", "record_fingerprint"]], on="record_id")
        return out.merge(self.result.clusters[["record_id", "match_probability"]], on="record_id")

    def kept(self, settings: LinkageSettings, decisions: pd.DataFrame = NO_DECISIONS) -> KeptLinkage:
        assert self.result.record_keys is not None
        return KeptLinkage(
            model=self.result.model,
            pairs=kept_pairs(self.result.pairs, settings),
            record_keys=self.result.record_keys,
            customers=self.previous(),
            decisions=decisions,
            prepared=self.result.prepared,
        )


def _night(contacts: pd.DataFrame, settings: LinkageSettings, **kwargs: object) -> Night:
    result, _, ids = link_customers(contacts, settings, next_number=10**6, **kwargs)  # type: ignore[arg-type]
    return Night(contacts, result, ids.records)


@pytest.fixture(scope="module")
def company(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, LinkageSettings, Night]:
    """A 2,000-customer company's staged contacts, its settings, and its first (full) night."""
    sample = tmp_path_factory.mktemp("incr_sample")
    generate_sample(sample, customers=2000, seed=3)
    data = tmp_path_factory.mktemp("incr_data")
    run_dir = tasks.prepare_run(
        sources=str(sample / "sources.yml"),
        warehouse_url=f"duckdb:///{data / 'w.duckdb'}",
        as_of="2026-11-20",
        run_id="incr",
        data_dir=str(data),
    )
    tasks.extract(run_dir)
    tasks.standardize(run_dir)
    contacts = with_fingerprints(pd.read_parquet(Path(run_dir) / "standardize" / "contact.parquet"))
    settings = load_linkage_settings(sample / "sources.yml")
    first, _, ids = link_customers(contacts, settings, previous=None, next_number=1)
    return contacts, settings, Night(contacts, first, ids.records)


@pytest.fixture(scope="module")
def second(company: tuple[pd.DataFrame, LinkageSettings, Night]) -> tuple[Night, Night]:
    """The second night (2% of the records edited, moved, removed or added): incremental, and a full relink."""
    contacts, settings, first = company
    tonight = change_records(contacts, share=0.02, seed=5)
    incremental = _night(tonight, settings, previous=first.previous(), kept=first.kept(settings))
    full = _night(tonight, settings, previous=first.previous())
    return incremental, full


def test_an_incremental_night_links_as_a_full_relink_does(second: tuple[Night, Night]) -> None:
    incremental, full = second
    assert incremental.result.stats["night"] == "incremental"
    assert 0 < incremental.result.stats["touched_records"] < 0.2 * len(incremental.contacts)
    agree = same_customer_share(incremental.ids, full.ids)
    assert agree >= 0.999, f"only {agree:.4%} of the records are in the same customer as in a full relink"


def test_an_incremental_night_lets_go_of_last_nights_frames(
    company: tuple[pd.DataFrame, LinkageSettings, Night],
) -> None:
    """Last night's prepared records, kept pairs and keys are not held once used: at a million customers they are
    gigabytes, which an incremental night held through its golden records before."""
    contacts, settings, first = company
    kept = first.kept(settings)
    link_incremental(contacts, settings, kept)
    assert kept.prepared is None and kept.pairs is None and kept.record_keys is None
    assert kept.model is first.result.model  # the small parts stay


def test_a_night_whose_linkage_evidence_changed_throughout_links_in_full(
    company: tuple[pd.DataFrame, LinkageSettings, Night],
) -> None:
    """Last night's keys made another way (another version of the libraries reading the staged rows): every record
    looks changed, and comparing them all incrementally would cost more than the full relink done instead."""
    contacts, settings, first = company
    kept = first.kept(settings)
    kept.record_keys = kept.record_keys.assign(linkage_key=kept.record_keys["linkage_key"] ^ np.uint64(1))
    result = link_incremental(contacts, settings, kept)
    assert result.stats["night"] == "full"
    assert "100.0% of the records' linkage evidence changed" in result.stats["full_reason"]


def test_last_nights_prepared_records_are_what_preparing_again_gives(
    company: tuple[pd.DataFrame, LinkageSettings, Night], second: tuple[Night, Night]
) -> None:
    _, settings, _ = company
    incremental, _ = second
    assert incremental.result.prepared is not None
    again = prepare_records(incremental.contacts, settings)
    pd.testing.assert_frame_equal(incremental.result.prepared, again, check_dtype=False)


def test_customers_nothing_reached_keep_their_ids(
    company: tuple[pd.DataFrame, LinkageSettings, Night], second: tuple[Night, Night]
) -> None:
    _, _, first = company
    incremental, full = second
    before = first.previous()
    after = incremental.contacts[["record_id", "record_fingerprint"]]
    same = before.merge(after, on=["record_id", "record_fingerprint"], how="left", indicator=True)
    untouched = same.groupby("customer_id")["_merge"].apply(lambda s: bool((s == "both").all()))
    quiet = before[before["customer_id"].isin(untouched[untouched].index)]

    def kept_share(night: Night) -> float:
        now = quiet.merge(night.ids, on="record_id", suffixes=("", "_now"))
        return float((now["customer_id"] == now["customer_id_now"]).mean())

    assert kept_share(incremental) >= 0.995
    assert kept_share(incremental) >= kept_share(full) - 0.001


def test_a_night_without_changes_compares_nothing_and_changes_nothing(
    company: tuple[pd.DataFrame, LinkageSettings, Night],
) -> None:
    contacts, settings, first = company
    again = _night(contacts, settings, previous=first.previous(), kept=first.kept(settings))
    assert again.result.stats["candidate_pairs"] == 0
    assert again.result.stats["touched_records"] == 0
    pd.testing.assert_frame_equal(
        again.ids.sort_values("record_id").reset_index(drop=True),
        first.ids.sort_values("record_id").reset_index(drop=True),
    )
    pairs = {tuple(p) for p in first.result.review[["record_id_l", "record_id_r"]].to_numpy()}
    assert {tuple(p) for p in again.result.review[["record_id_l", "record_id_r"]].to_numpy()} == pairs


def test_a_new_steward_verdict_splits_the_customer_on_an_incremental_night(
    company: tuple[pd.DataFrame, LinkageSettings, Night],
) -> None:
    contacts, settings, first = company
    sizes = first.ids["customer_id"].value_counts()
    customer = sizes[sizes == 2].index[0]
    one, other = first.ids.loc[first.ids["customer_id"] == customer, "record_id"].tolist()
    verdict = pd.DataFrame({"record_id_l": [one], "record_id_r": [other], "is_match": [False]})
    night = _night(contacts, settings, previous=first.previous(), kept=first.kept(settings), decisions=verdict)
    of = night.ids.set_index("record_id")["customer_id"]
    assert of[one] != of[other]
    assert night.result.stats["changed_decisions"] == 1


def test_a_stewards_link_holds_on_the_nights_after_it(company: tuple[pd.DataFrame, LinkageSettings, Night]) -> None:
    """Two customers a steward joined stay joined on the next incremental night, when nothing about the verdict or
    the records changed (their records are not reached, so they keep last night's customer)."""
    contacts, settings, first = company
    assert first.result.prepared is not None
    linkable = set(first.result.prepared.loc[first.result.prepared["_linkable"], "_id"])
    ids = first.ids[first.ids["record_id"].isin(linkable)]
    sizes = ids["customer_id"].value_counts()
    one = ids.loc[ids["customer_id"] == sizes[sizes == 1].index[0], "record_id"].iloc[0]
    other = ids.loc[ids["customer_id"] == sizes[sizes >= 2].index[0], "record_id"].iloc[0]
    verdict = pd.DataFrame({"record_id_l": [one], "record_id_r": [other], "is_match": [True]})
    second = _night(contacts, settings, previous=first.previous(), kept=first.kept(settings), decisions=verdict)
    third = _night(
        contacts, settings, previous=second.previous(), kept=second.kept(settings, verdict), decisions=verdict
    )
    for night in (second, third):
        of = night.ids.set_index("record_id")["customer_id"]
        assert of[one] == of[other]
    assert second.result.stats["changed_decisions"] == 1
    assert third.result.stats["changed_decisions"] == 0
    assert third.result.stats["touched_records"] == 0


def _state(settings: LinkageSettings, last_full: str = "2026-11-20") -> dict[str, object]:
    return {"version": STATE_VERSION, "settings_hash": settings_hash(settings), "last_full_as_of": last_full}


def _reason(settings: LinkageSettings, **overrides: object) -> str | None:
    given: dict[str, object] = {
        "asked": False,
        "settings": settings,
        "as_of": dt.date(2026, 11, 21),
        "state": _state(settings),
        "has_previous": True,
        "changed_share": 0.02,
    }
    return full_relink_reason(**{**given, **overrides})  # type: ignore[arg-type]


def test_each_reason_for_a_full_relink() -> None:
    settings = load_linkage_settings()
    assert _reason(settings) is None
    assert "--full" in str(_reason(settings, asked=True))
    off = settings.model_copy(update={"incremental": settings.incremental.model_copy(update={"enabled": False})})
    assert "incremental.enabled" in str(_reason(off, state=_state(off)))
    assert "no earlier night" in str(_reason(settings, has_previous=False))
    assert "missing" in str(_reason(settings, state=None))
    assert "another version" in str(_reason(settings, state={**_state(settings), "version": f"{STATE_VERSION}+1"}))
    stricter = settings.model_copy(update={"thresholds": settings.thresholds.model_copy(update={"match": 0.97})})
    assert "settings changed" in str(_reason(stricter, state=_state(settings)))
    assert "7 days old" in str(_reason(settings, as_of=dt.date(2026, 11, 27)))
    assert _reason(settings, as_of=dt.date(2026, 11, 26)) is None
    assert "older than the last full relink" in str(_reason(settings, as_of=dt.date(2026, 11, 19)))
    assert "max_changed_share" in str(_reason(settings, changed_share=0.11))


def test_the_incremental_settings_are_checked() -> None:
    data = load_linkage_settings().model_dump(by_alias=True)
    with pytest.raises(ValidationError, match="max_changed_share"):
        LinkageSettings.model_validate({**data, "incremental": {"max_changed_share": 1.5}})
    with pytest.raises(ValidationError, match="full_every_days"):
        LinkageSettings.model_validate({**data, "incremental": {"full_every_days": 0}})
