"""Fixtures of the linkage tests: a 20,000-customer company staged once per session, and its linkage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from devkit.bench.linkage_probe import contact_truth
from transforms.linkage import LinkResult, link_records, load_linkage_settings


@pytest.fixture(scope="session")
def generated(staged_20k: tuple[Path, Path]) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staged contacts of 20,000 generated customers (seed 7) and each record's true customer."""
    sample, run_dir = staged_20k
    contacts = pd.read_parquet(run_dir / "standardize" / "contact.parquet")
    truth = contact_truth(contacts, pd.read_parquet(sample / "truth" / "rows.parquet"))
    return contacts, truth


@pytest.fixture(scope="session")
def linked(generated: tuple[pd.DataFrame, pd.DataFrame]) -> LinkResult:
    return link_records(generated[0], load_linkage_settings(None), seed=0)
