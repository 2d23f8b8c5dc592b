"""A company issuing more than 999,999 documents a year numbers them wider, and its quality.yml says so: the
generated company at a million customers passes its own data standard, as a real one configured for it would."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np

from devkit.generator.billing import Billing
from devkit.generator.sources_file import write_quality_file
from transforms.quality.settings import settings_for_sources


def _documents(seq: list[int]) -> Billing:
    """A Billing holding only what a document's number is made of (the rest is not read)."""
    bill = object.__new__(Billing)
    bill.seq = np.asarray(seq, dtype=np.int32)
    bill.year = np.full(len(seq), 2026, dtype=np.int16)
    bill.is_credit = np.asarray([i % 2 == 1 for i in range(len(seq))])
    return bill


def test_numbers_keep_six_digits_until_a_year_holds_more_documents() -> None:
    assert _documents([1, 999_999]).number(0) == "FV/2026/000001"
    wide = _documents([1, 1_461_739])
    assert wide.digits == 7
    assert [wide.number(0), wide.number(1)] == ["FV/2026/0000001", "FK/2026/1461739"]


def test_the_company_file_holds_the_wider_numbers_and_nothing_else(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    assert not write_quality_file(tmp_path / "quality.yml", 6)
    assert not (tmp_path / "quality.yml").exists()
    assert write_quality_file(tmp_path / "quality.yml", 7)
    settings, origin = settings_for_sources(tmp_path / "sources.yml")
    defaults, _ = settings_for_sources(tmp_path / "elsewhere" / "sources.yml")
    assert origin == str(tmp_path / "quality.yml")
    assert re.match(settings.document_numbers.invoice, "FV/2026/1461739")
    assert not re.match(settings.document_numbers.invoice, "FV/2026/146173")
    assert re.match(settings.document_numbers.credit_note, "FK/2026/0076180")
    assert settings.model_dump(exclude={"document_numbers"}) == defaults.model_dump(exclude={"document_numbers"})
