"""A record named only by a business and its owner's record: the owner's surname among the business name's words."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from transforms.linkage import load_linkage_settings
from transforms.linkage.compare import compare_frames
from transforms.linkage.prepare import prepare_records
from transforms.settings.errors import SettingsError
from transforms.standardize.names import name_key


def _contact(record_id: int, **values: object) -> dict[str, object]:
    row: dict[str, object] = dict.fromkeys(load_linkage_settings(None).input_columns)
    row.update(record_id=str(record_id), source_name="s", is_tax_id_valid=None)
    if isinstance(values.get("surname"), str):
        values["surname_key"] = name_key(str(values["surname"]))
    row.update(values)
    return row


def _labels(pairs: list[tuple[dict[str, object], dict[str, object]]]) -> list[str]:
    settings = load_linkage_settings(None)
    prepared = prepare_records(pd.DataFrame([r for pair in pairs for r in pair]), settings)
    left = list(range(0, 2 * len(pairs), 2))
    levels = compare_frames(settings, prepared.iloc[left], prepared.iloc[[i + 1 for i in left]])
    labels = settings.comparison("owner").level_labels
    return [labels[v] if v >= 0 else "not compared" for v in levels["cmp_owner"]]


def test_a_business_billed_under_its_owners_surname_meets_the_owners_record_in_any_script() -> None:
    pairs = [
        (_contact(1, company='FHU "KOWALCZYK"'), _contact(2, given_name="Piotr", surname="Kowalczyk")),
        (_contact(3, given_name="Mary", surname="Hayham"), _contact(4, company="HAYHAM & SONS LTD")),
        (_contact(5, company="Tolstaia Sp. z o.o."), _contact(6, given_name="Ирина", surname="Толстая")),
        (_contact(7, company="Ghorbanzadeh Trading Co."), _contact(8, given_name="Farhad", surname="Ghorbanzade")),
        (_contact(9, company='ООО "Стройсервис"'), _contact(10, given_name="Иван", surname="Траов")),
    ]
    assert _labels(pairs) == [
        "the surname is a word of the business name",
        "the surname is a word of the business name",
        "the surname is a word of the business name",
        "a word of the business name jaro_winkler >= 0.9 to the surname",
        "the surname is not in the business name",
    ]


def test_only_a_business_without_a_surname_against_a_person_is_compared() -> None:
    pairs = [
        # Two business names: the company comparison's.
        (_contact(1, company="Kowalczyk Transport"), _contact(2, company="FHU Kowalczyk")),
        # Both persons (one also with an employer): the name comparison's.
        (_contact(3, given_name="Anna", surname="Nowak", company="Nowak Sp. z o.o."), _contact(4, surname="Nowak")),
        # No surname on the other side.
        (_contact(5, company="FHU Kowalczyk"), _contact(6, given_name="Piotr")),
    ]
    assert _labels(pairs) == ["not compared"] * 3


def test_the_kind_needs_a_surname_column(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("sources: []\n", encoding="utf-8")
    (tmp_path / "linkage.yml").write_text(
        "comparisons:\n  - {name: owner, kind: surname_in_business, column: company_words}\n", encoding="utf-8"
    )
    with pytest.raises(SettingsError, match="surname_column"):
        load_linkage_settings(tmp_path / "sources.yml")
