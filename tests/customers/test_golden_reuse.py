"""An incremental night reuses last night's golden record of a customer whose records did not change, and builds
the others again: the result is what building every golden record gives."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.support import PipelineRun
from transforms.customers.consolidate import golden_requirements
from transforms.customers.golden import build_golden, record_dates
from transforms.customers.golden_reuse import KeptGolden, golden_records, golden_settings_hash, row_keys
from transforms.customers.settings import SurvivorshipSettings, load_survivorship
from transforms.quality.settings import settings_for_sources


@pytest.fixture(scope="module")
def night(pipeline_run: PipelineRun) -> tuple[pd.DataFrame, SurvivorshipSettings, list[tuple[str, ...]]]:
    """The sample night's records with their customer and record date, its survivorship settings and mandatory
    fields."""
    run = pipeline_run.run_dir
    contacts = pd.read_parquet(run / "standardize" / "contact.parquet")
    interactions = pd.read_parquet(run / "standardize" / "interaction.parquet")
    links = pd.read_parquet(run / "link" / "customer_source_record.parquet", columns=["record_id", "customer_id"])
    records = contacts.merge(links, on="record_id")
    records["record_date"] = record_dates(records, interactions)
    settings, _ = load_survivorship(pipeline_run.sample_dir / "sources.yml")
    quality, _ = settings_for_sources(pipeline_run.sample_dir / "sources.yml")
    return records, settings, [tuple(g) for g in golden_requirements(quality)]


def test_unchanged_customers_keep_last_nights_golden_record(
    night: tuple[pd.DataFrame, SurvivorshipSettings, list[tuple[str, ...]]],
) -> None:
    records, settings, requirements = night
    unassigned = ["unassigned"]
    golden, provenance = build_golden(records, settings=settings, requirements=requirements, unassigned=unassigned)
    held = KeptGolden.holding(
        golden_settings_hash(settings, requirements, unassigned), row_keys(records), golden, provenance
    )
    asked: list[set[str]] = []

    def read(customers: set[str]) -> tuple[pd.DataFrame, pd.DataFrame]:
        asked.append(set(customers))
        return held.read(customers)

    kept = KeptGolden(held.settings_hash, held.row_keys, read)
    tonight = records.copy()
    multi = tonight["customer_id"].value_counts()
    a, b = multi[multi >= 2].index[:2]
    edited = tonight.index[tonight["customer_id"] == a][0]
    tonight.loc[edited, "phone_e164"] = "+48600999999"
    moved = tonight.index[tonight["customer_id"] == b][0]
    tonight.loc[moved, "customer_id"] = "CUST-9999999"
    tonight = tonight.drop(index=tonight.index[tonight["customer_id"] == multi.index[-1]])  # a customer retired
    got, got_prov, reused = golden_records(
        tonight,
        settings=settings,
        requirements=requirements,
        unassigned=unassigned,
        keys=row_keys(tonight),
        kept=kept,
    )
    want, want_prov = build_golden(tonight, settings=settings, requirements=requirements, unassigned=unassigned)
    assert reused == want["customer_id"].nunique() - 3  # the edited, the one that lost a record, the new one
    # Last night's golden records are read once, for the customers reused only.
    assert len(asked) == 1 and len(asked[0]) == reused
    assert not asked[0] & {a, b, multi.index[-1], "CUST-9999999"}
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    pd.testing.assert_frame_equal(got_prov, want_prov, check_dtype=False)
    # A customer last night's tables lack is built again, not lost.
    lacking = KeptGolden(held.settings_hash, held.row_keys, lambda c: held.read(c - {sorted(c)[0]}))
    got, got_prov, fewer = golden_records(
        tonight,
        settings=settings,
        requirements=requirements,
        unassigned=unassigned,
        keys=row_keys(tonight),
        kept=lacking,
    )
    assert fewer == reused - 1
    pd.testing.assert_frame_equal(got, want, check_dtype=False)
    pd.testing.assert_frame_equal(got_prov, want_prov, check_dtype=False)
    other = settings.model_copy(update={"unassigned": ["nobody"]})
    assert (
        golden_records(
            tonight, settings=other, requirements=requirements, unassigned=unassigned, keys=row_keys(tonight), kept=kept
        )[2]
        == 0
    )
