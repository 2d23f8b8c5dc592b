"""quality.yml: defaults, a company's overrides merged over them, and errors that name the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.quality.settings import find_company_file, load_quality_settings, settings_for_sources
from transforms.settings.errors import SettingsError


def test_defaults() -> None:
    s = load_quality_settings()
    assert s.mandatory.fields == ["surname", "given_name", "date_of_birth"]
    assert s.mandatory.one_of == [["phone", "email"]]
    assert s.stale_after_days == 730
    assert s.document_numbers.invoice == r"^FV/\d{4}/\d{6}$"
    assert s.rule("mandatory_field_missing").severity == "critical"


def test_company_file_is_merged_over_the_defaults(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", "utf-8")
    assert find_company_file(tmp_path / "sources.yml") is None
    assert settings_for_sources(tmp_path / "sources.yml")[1] == "bundled defaults"
    (tmp_path / "quality.yml").write_text(
        "mandatory:\n  extra: [channel, attributes.pets]\nstale_after_days: 365\n"
        "rules:\n  stale_record: {severity: warning}\n",
        "utf-8",
    )
    s, origin = settings_for_sources(tmp_path / "sources.yml")
    assert origin == str(tmp_path / "quality.yml")
    assert s.mandatory.single_fields == ("surname", "given_name", "date_of_birth", "channel", "attributes.pets")
    assert s.stale_after_days == 365
    assert s.rule("stale_record").severity == "warning"
    assert s.rule("duplicate_payment").severity == "critical"


def test_errors_name_the_file_and_key(tmp_path: Path) -> None:
    path = tmp_path / "quality.yml"
    path.write_text(
        "mandatory:\n  extra: [chanel]\nstale_afterdays: 3\nrules:\n  stale_record: {severity: urgent}\n", "utf-8"
    )
    with pytest.raises(SettingsError) as err:
        load_quality_settings(path)
    text = str(err.value)
    assert str(path) in text
    assert "mandatory.extra" in text and "did you mean 'channel'" in text
    assert "stale_afterdays: unknown key" in text
    assert "rules.stale_record.severity" in text


def test_unknown_rule_and_bad_pattern(tmp_path: Path) -> None:
    path = tmp_path / "quality.yml"
    path.write_text("rules:\n  dupliate_payment: {severity: info}\n", "utf-8")
    with pytest.raises(SettingsError, match="did you mean 'duplicate_payment'"):
        load_quality_settings(path)
    path.write_text("document_numbers:\n  invoice: '^FV/(\\d{4}$'\n", "utf-8")
    with pytest.raises(SettingsError, match=r"document_numbers\.invoice"):
        load_quality_settings(path)
