"""Known answers from a company the project did not write: the whole night on ../shared/datasets/second_company.

Its sources, quality and reliability files (tests/data/second_company) were written from its headers and its stated
policies alone, as an operator would. One `crm-etl run` over its files, then the published night scored against its
truth folder. The floors sit just under what the night reaches, so a change that loses ground on another company's
files fails here even when the project's own sample is unmoved.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from devkit.bench.company_truth import score_night
from transforms.cli import app

pytestmark = pytest.mark.slow  # runs a whole night of the second company: full lane only (make test)

PROJECT = Path(__file__).resolve().parents[2]
COMPANY = PROJECT.parent / "shared" / "datasets" / "second_company"
SOURCES = PROJECT / "tests" / "data" / "second_company" / "sources.yml"


@pytest.fixture(scope="module")
def night(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    assert (COMPANY / "truth" / "entity_map.csv").is_file(), f"the second company's files are missing: {COMPANY}"
    work = tmp_path_factory.mktemp("second_company")
    url = f"duckdb:///{work / 'warehouse.duckdb'}"
    where = ["--warehouse", url, "--data-dir", str(work / "data")]
    result = CliRunner().invoke(app, ["run", "--sources", str(SOURCES), *where, "--as-of", "2026-11-20"])
    assert result.exit_code == 0, result.output
    return score_night(url, COMPANY)


def test_every_customer_record_is_scored(night: dict[str, Any]) -> None:
    assert night["linkage"]["records_scored"] == 10_076


def test_linkage_against_the_truth(night: dict[str, Any]) -> None:
    link = night["linkage"]
    assert link["precision"] >= 0.99, link
    assert link["f1"] >= 0.969, link
    assert link["recall_sharing_phone_or_email"] >= 0.990, link


def test_payment_classes_per_true_customer(night: dict[str, Any]) -> None:
    assert night["payment"]["class_right"] >= 0.950, night["payment"]


def test_planted_defects_are_reported_and_flags_hold_a_defect(night: dict[str, Any]) -> None:
    quality = night["quality"]
    assert quality["defects_reported"] >= 0.99, quality
    assert quality["rows_flagged_without_defect"] <= 0.02, quality


def test_complaints_are_recognised_in_the_company_s_own_words(night: dict[str, Any]) -> None:
    complaints = night["complaints"]
    assert complaints["recognised"] >= 0.98 and complaints["false"] <= 0.01, complaints


def test_segments_follow_the_hidden_behaviour(night: dict[str, Any]) -> None:
    assert night["segments"]["adjusted_rand_index"] >= 0.55, night["segments"]
