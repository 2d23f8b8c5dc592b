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


def test_names_and_cities_across_an_abjad_script_compare_on_skeletons() -> None:
    settings = load_linkage_settings(None)
    rows = [
        _contact(
            record_id=1, given_name="نازنین", surname="نوری", given_name_latin="nznyn", surname_key="nvri", city="تهران"
        ),
        _contact(
            record_id=2,
            given_name="Nazanin",
            surname="Noori",
            given_name_latin="nazanin",
            surname_key="nori",
            city="Tehran",
        ),
        _contact(
            record_id=3,
            given_name="Maria",
            surname="Noori",
            given_name_latin="maria",
            surname_key="nori",
            city="Tehran",
        ),
        _contact(
            record_id=4, given_name="Mario", surname="Nuri", given_name_latin="mario", surname_key="nuri", city="Tahran"
        ),
        _contact(
            record_id=5, given_name="نازنین", surname="نوری", given_name_latin="nznyn", surname_key="nvri", city="تهران"
        ),
        _contact(
            record_id=6,
            given_name="Nasrin",
            surname="Nasseri",
            given_name_latin="nasrin",
            surname_key="naseri",
            city="Tabriz",
        ),
    ]
    prepared = prepare_records(pd.DataFrame(rows), settings)
    levels = compare_frames(settings, prepared.iloc[[0, 2, 4]], prepared.iloc[[1, 3, 5]])
    name, city = settings.comparison("name"), settings.comparison("city")
    assert levels["cmp_name"].tolist() == [name.top_level, 0, 0]
    # Two Latin spellings keep their vowels: Maria Noori of Tehran is not Mario Nuri of Tahran, whose skeletons
    # would be equal.
    assert levels["cmp_city"].tolist()[0] == city.top_level
    assert levels["cmp_city"].tolist()[1] < city.top_level
    assert levels["cmp_city"].tolist()[2] == 0


def test_namesakes_addresses_one_character_apart_are_different_addresses() -> None:
    """E-mail addresses are made of names: jan.nowak@ and jannowak@ are two namesakes, not one person's typo. With a
    level for one edit apart, 29,375 pairs of the generated 200,000-customer company reached it and none was one
    person."""
    settings = load_linkage_settings(None)
    rows = [
        _contact(record_id=1, given_name_latin="jan", surname_key="nowak", email_key="jan.nowak@onet"),
        _contact(record_id=2, given_name_latin="jan", surname_key="nowak", email_key="jannowak@onet"),
        _contact(record_id=3, given_name_latin="jan", surname_key="nowak", email_key="jan.nowak@onet"),
    ]
    prepared = prepare_records(pd.DataFrame(rows), settings)
    levels = compare_frames(settings, prepared.iloc[[0, 0]], prepared.iloc[[1, 2]])
    assert levels["cmp_email"].tolist() == [0, settings.comparison("email").top_level]
