"""linkage.yml: bundled defaults load, a company's file overrides them, mistakes name the file and the key."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from transforms.linkage import load_linkage_settings
from transforms.linkage.compare import compare_frames
from transforms.linkage.prepare import prepare_records
from transforms.settings.errors import SettingsError
from transforms.standardize.names import name_key


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


def test_an_initial_agrees_more_weakly_with_a_given_name_that_starts_with_it() -> None:
    # "GHASSEMI P." against "Pouya Ghasemi", "IVANOV I." against "Ivan Ivanov", "IVANOV I." against "Anna Ivanova"
    settings = load_linkage_settings(None)
    rows = [
        _contact(record_id=1, given_name="P.", given_name_latin="P.", surname_key="ghassemi"),
        _contact(record_id=2, given_name="Pouya", given_name_latin="Pouya", surname_key="ghasemi"),
        _contact(record_id=3, given_name="I.", given_name_latin="I.", surname_key="ivanov"),
        _contact(record_id=4, given_name="Ivan", given_name_latin="Ivan", surname_key="ivanov"),
        _contact(record_id=5, given_name="I.", given_name_latin="I.", surname_key="ivanov"),
        _contact(record_id=6, given_name="Anna", given_name_latin="Anna", surname_key="ivanova"),
    ]
    prepared = prepare_records(pd.DataFrame(rows), settings)
    levels = compare_frames(settings, prepared.iloc[[0, 2, 4]], prepared.iloc[[1, 3, 5]])
    labels = settings.comparison("name").level_labels
    assert [labels[level] for level in levels["cmp_name"]] == [
        "both similar (or an initial and a similar surname)",
        "same surname, given name initial",
        "different",
    ]
    assert labels.index("same surname, given name initial") < labels.index("same surname, similar given name")


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


def test_an_initial_is_read_from_the_name_as_written_and_a_nickname_with_a_similar_surname_counts() -> None:
    # "ZALINSKI J." against "Jerzy Zaliński": the key of Jerzy is "erzi", its initial J; "Sasha Krasnikv" against
    # "Aleksandr Krasnikov": a nickname with a mistyped surname is the same given name with a similar surname.
    settings = load_linkage_settings(None)
    rows = [
        _contact(record_id=1, given_name="J.", given_name_latin="J.", surname_key="zalinski"),
        _contact(record_id=2, given_name="Jerzy", given_name_latin="Jerzy", surname_key="zalinski"),
        _contact(record_id=3, given_name="Sasha", given_name_latin="Sasha", surname_key="krasnikv"),
        _contact(record_id=4, given_name="Aleksandr", given_name_latin="Aleksandr", surname_key="krasnikov"),
    ]
    prepared = prepare_records(pd.DataFrame(rows), settings)
    levels = compare_frames(settings, prepared.iloc[[0, 2]], prepared.iloc[[1, 3]])
    labels = settings.comparison("name").level_labels
    assert [labels[level] for level in levels["cmp_name"]] == [
        "same surname, given name initial",
        "same given name or nickname, similar surname",
    ]
    assert levels["cmp_given_name"].tolist()[0] == settings.comparison("given_name").level_labels.index(
        "initial agrees"
    )


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


def test_a_free_text_name_read_the_wrong_way_round_is_turned_on_either_side() -> None:
    # "Smith Bob" read as given name Smith beside "Robert Smith", on the left and on both sides; "YANG W." beside
    # "Yang Wei" read as given name Yang.
    settings = load_linkage_settings(None)
    rows = [
        _contact(record_id=1, given_name="Smith", given_name_latin="Smith", surname_key=name_key("Bob")),
        _contact(record_id=2, given_name="Robert", given_name_latin="Robert", surname_key=name_key("Smith")),
        _contact(record_id=3, given_name="Smith", given_name_latin="Smith", surname_key=name_key("Bob")),
        _contact(record_id=4, given_name="Smith", given_name_latin="Smith", surname_key=name_key("Robert")),
        _contact(record_id=5, given_name="W.", given_name_latin="W.", surname_key=name_key("Yang")),
        _contact(record_id=6, given_name="Yang", given_name_latin="Yang", surname_key=name_key("Wei")),
    ]
    prepared = prepare_records(pd.DataFrame(rows), settings)
    levels = compare_frames(settings, prepared.iloc[[0, 2, 4]], prepared.iloc[[1, 3, 5]])
    labels = settings.comparison("name").level_labels
    assert [labels[level] for level in levels["cmp_name"]] == [
        "same surname, nickname",
        "same surname, nickname",
        "same surname, given name initial",
    ]


def test_another_romanization_of_a_surname_is_a_similar_surname() -> None:
    # 王 Wang / Wong, 李 Li / Lee with the same given name: one surname in pinyin and in its Cantonese form, which
    # spelling similarity alone calls different surnames. Wang and Lee stay apart.
    settings = load_linkage_settings(None)
    rows = [
        _contact(record_id=1, given_name_latin="Xiuying", surname_key=name_key("Wang")),
        _contact(record_id=2, given_name_latin="Xiuying", surname_key=name_key("Wong")),
        _contact(record_id=3, given_name_latin="Wanying", surname_key=name_key("Li")),
        _contact(record_id=4, given_name_latin="Wanying", surname_key=name_key("Lee")),
        _contact(record_id=5, given_name_latin="Wanying", surname_key=name_key("Wang")),
    ]
    prepared = prepare_records(pd.DataFrame(rows), settings)
    levels = compare_frames(settings, prepared.iloc[[0, 2, 3]], prepared.iloc[[1, 3, 4]])
    labels = settings.comparison("name").level_labels
    assert [labels[level] for level in levels["cmp_name"]] == [
        "same given name or nickname, similar surname",
        "same given name or nickname, similar surname",
        "same given name, other surname",
    ]


def test_a_company_adds_its_own_surname_romanizations(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "linkage.yml").write_text("surname_variants:\n  - [Nguyen, Nguyenn, Ng]\n", encoding="utf-8")
    rows = [
        _contact(record_id=1, given_name_latin="Lan", surname_key=name_key("Nguyen")),
        _contact(record_id=2, given_name_latin="Lan", surname_key=name_key("Ng")),
    ]
    labels = load_linkage_settings(None).comparison("name").level_labels
    for settings, expected in (
        (load_linkage_settings(None), "same given name, other surname"),
        (load_linkage_settings(tmp_path / "sources.yml"), "same given name or nickname, similar surname"),
    ):
        prepared = prepare_records(pd.DataFrame(rows), settings)
        levels = compare_frames(settings, prepared.iloc[[0]], prepared.iloc[[1]])
        assert labels[levels["cmp_name"][0]] == expected


def test_an_address_is_one_comparison_counting_its_agreeing_parts() -> None:
    # A customer who moved pays for one changed address once, not once per part; one address written in two
    # scripts or styles agrees on its postcode, city and house numbers although its street compares poorly.
    settings = load_linkage_settings(None)
    home = {"postcode": "02-929", "city": "Warszawa", "street": "ulica Marszałkowska 82/23"}
    rows = [
        _contact(record_id=1, given_name_latin="anna", surname_key="piorik", **home),
        _contact(record_id=2, given_name_latin="anna", surname_key="piorik", **home),
        _contact(record_id=3, given_name_latin="anna", surname_key="piorik", postcode="191122", city="Москва"),
        _contact(
            record_id=4,
            given_name_latin="anna",
            surname_key="piorik",
            postcode="02-929",
            city="Warszawa",
            street="Marszalkowska str. 82-23",
        ),
        _contact(record_id=5, given_name_latin="anna", surname_key="piorik"),
    ]
    prepared = prepare_records(pd.DataFrame(rows), settings)
    levels = compare_frames(settings, prepared.iloc[[0, 0, 0, 0]], prepared.iloc[[1, 2, 3, 4]])
    address = settings.comparison("address")
    assert address.parts == ["postcode", "city", "street", "house"]
    assert levels["cmp_address"].tolist() == [address.top_level, 0, 3, -1]
    assert levels["cmp_house"].tolist()[2] == settings.comparison("house").top_level
    # Only the combined comparison counts in the match weight: its parts are shown, not counted.
    assert [c.name for c in settings.comparisons if c.in_model and c.name in (*address.parts, "address")] == ["address"]


def test_a_combined_comparison_names_known_parts(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "linkage.yml").write_text(
        "comparisons:\n"
        "  - {name: name, kind: person_name, column: given_key, surname_column: surname_key, thresholds: [0.9]}\n"
        "  - {name: place, kind: combined, parts: [name, town]}\n",
        encoding="utf-8",
    )
    with pytest.raises(SettingsError, match=r"(?s)linkage\.yml.*place\.parts.*town"):
        load_linkage_settings(tmp_path / "sources.yml")
