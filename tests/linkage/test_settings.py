"""linkage.yml: bundled defaults load, a company's file overrides them, mistakes name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from transforms.linkage import load_linkage_settings
from transforms.linkage.compare import compare_frames
from transforms.linkage.prepare import prepare_records
from transforms.settings.errors import SettingsError


def test_bundled_defaults_load() -> None:
    settings = load_linkage_settings(None)
    assert settings.blocking.passes[0].name == "phone"
    assert settings.thresholds.review_lower < settings.thresholds.match


def test_company_file_overrides(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "linkage.yml").write_text("thresholds:\n  match: 0.99\n", encoding="utf-8")
    settings = load_linkage_settings(tmp_path / "sources.yml")
    assert settings.thresholds.match == 0.99
    assert settings.thresholds.review_lower == 0.5


def test_bad_key_is_named(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "linkage.yml").write_text("thresholds:\n  mach: 0.99\n", encoding="utf-8")
    with pytest.raises(SettingsError, match=r"(?s)linkage\.yml.*thresholds\.mach"):
        load_linkage_settings(tmp_path / "sources.yml")


def _contact(**values: object) -> dict[str, object]:
    base: dict[str, object] = dict.fromkeys(load_linkage_settings(None).input_columns)
    base.update(record_id=str(values.pop("record_id")), source_name="s", is_tax_id_valid=None)
    base.update(values)
    return base


def test_small_frames_nicknames_swaps_and_scripts() -> None:
    settings = load_linkage_settings(None)
    rows = [
        _contact(record_id=1, given_name="Robert", given_name_latin="robert", surname_key="smit"),
        _contact(record_id=2, given_name="Bob", given_name_latin="bob", surname_key="smit"),
        _contact(record_id=3, given_name="Александр", given_name_latin="aleksandr", surname_key="ivanov"),
        _contact(record_id=4, given_name="Саша", given_name_latin="sasha", surname_key="ivanov"),
        _contact(record_id=5, given_name="Małgorzata", given_name_latin="malgorzata", surname_key="novak"),
        _contact(record_id=6, given_name="Novak", given_name_latin="novak", surname_key="gosia"),
    ]
    prepared = prepare_records(pd.DataFrame(rows), settings)
    levels = compare_frames(settings, prepared.iloc[[0, 2, 4]], prepared.iloc[[1, 3, 5]])
    nickname = settings.comparison("name").level_labels.index("same surname, nickname")
    assert levels["cmp_name"].tolist() == [nickname, nickname, nickname]
