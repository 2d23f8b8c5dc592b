"""The sources file is checked before any file is read, and its errors name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from transforms.settings import SettingsError, load_sources


def write(tmp_path: Path, doc: object) -> Path:
    path = tmp_path / "sources.yml"
    path.write_text(yaml.safe_dump(doc, allow_unicode=True), "utf-8")
    return path


def good_source(**kw: object) -> dict[str, object]:
    s: dict[str, object] = {"name": "a", "kind": "spreadsheet", "path": "a.xlsx", "columns": {"Nazwisko": "surname"}}
    s.update(kw)
    return s


def test_typo_in_a_key_is_named_with_its_path(tmp_path: Path) -> None:
    path = write(tmp_path, {"sources": [good_source(respnsible={"employee": "x"})]})
    with pytest.raises(SettingsError) as e:
        load_sources(path)
    assert str(path) in str(e.value) and "sources[0].respnsible" in str(e.value)


def test_unknown_field_name_in_the_map_suggests_the_right_one(tmp_path: Path) -> None:
    path = write(tmp_path, {"sources": [good_source(columns={"Nazwisko": "surnme"})]})
    with pytest.raises(SettingsError, match=r"Nazwisko: unknown field 'surnme'.*did you mean 'surname'"):
        load_sources(path)


def test_field_not_allowed_for_the_kind(tmp_path: Path) -> None:
    path = write(tmp_path, {"sources": [good_source(kind="payments", path="p.csv", columns={"X": "surname"})]})
    with pytest.raises(SettingsError, match="unknown field 'surname' for a payments source"):
        load_sources(path)


def test_duplicate_source_names(tmp_path: Path) -> None:
    path = write(tmp_path, {"sources": [good_source(), good_source()]})
    with pytest.raises(SettingsError, match="used by two sources"):
        load_sources(path)


def test_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "sources.yml"
    path.write_text("sources:\n  - name: a\n   kind: x\n", "utf-8")
    with pytest.raises(SettingsError, match=r"not valid YAML at line \d+"):
        load_sources(path)


def test_missing_sources_file(tmp_path: Path) -> None:
    with pytest.raises(SettingsError, match="settings file not found"):
        load_sources(tmp_path / "nope.yml")


def test_unknown_format_extension(tmp_path: Path) -> None:
    path = write(tmp_path, {"sources": [good_source(path="a.dat")]})
    with pytest.raises(SettingsError, match="format"):
        load_sources(path)


def test_responsible_needs_exactly_one_way(tmp_path: Path) -> None:
    path = write(tmp_path, {"sources": [good_source(responsible={"employee": "A", "column": "B"})]})
    with pytest.raises(SettingsError, match=r"sources\[0\]\.responsible"):
        load_sources(path)


def test_bad_country_code(tmp_path: Path) -> None:
    path = write(tmp_path, {"sources": [good_source(phone_region="Poland")]})
    with pytest.raises(SettingsError, match="phone_region"):
        load_sources(path)


def test_relative_paths_resolve_against_the_sources_file(tmp_path: Path) -> None:
    path = write(tmp_path, {"sources": [good_source(path="exports/a.xlsx")]})
    spec = load_sources(path)
    assert spec.sources[0].pattern == str(tmp_path.resolve() / "exports" / "a.xlsx")


def test_defaults_fill_in(tmp_path: Path) -> None:
    path = write(tmp_path, {"defaults": {"phone_region": "ru", "date_order": "MDY"}, "sources": [good_source()]})
    spec = load_sources(path)
    eff = spec.effective(spec.sources[0])
    assert eff["phone_region"] == "RU" and eff["date_order"] == "MDY"
