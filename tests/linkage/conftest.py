"""Fixtures of the linkage tests: a 20,000-customer company staged once per session, and its linkage."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from transforms.bench.linkage_probe import contact_truth, staged_contacts
from transforms.linkage import LinkResult, link_records, load_linkage_settings

READY = Path("/tmp/crm/s20k")


@pytest.fixture(scope="session")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Staged contacts of 20,000 generated customers (seed 7) and each record's true customer."""
    root = tmp_path_factory.mktemp("linkage20k")
    if (READY / "sources.yml").is_file() and (READY / "truth" / "rows.parquet").is_file():
        (root / "sample_20000_7").symlink_to(READY)
    run_dir = staged_contacts(root, 20_000)
    contacts = pd.read_parquet(run_dir / "standardize" / "contact.parquet")
    truth = contact_truth(contacts, pd.read_parquet(root / "sample_20000_7" / "truth" / "rows.parquet"))
    return contacts, truth


@pytest.fixture(scope="session")
def linked(generated: tuple[pd.DataFrame, pd.DataFrame]) -> LinkResult:
    return link_records(generated[0], load_linkage_settings(None), seed=0)
