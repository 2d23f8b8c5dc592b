"""The realistic mess and the life events are present, kept exactly in the truth, and driven by the settings."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pandas as pd

from devkit.generator import GenerationSettings, generate_sample

Sample = Any


def test_households_lookalikes_movers_marriages(sample: Sample) -> None:
    c = sample.customers
    households = c[c.household_id.duplicated(keep=False)]
    assert len(households), "some households have several members"
    for _, g in households.groupby("household_id"):
        assert g.street.nunique() == 1 and g.city.nunique() == 1
        assert g.date_of_birth.nunique() == len(g) or g.date_of_birth.isna().any()
    looks = c[c.lookalike_of.notna()].merge(c, left_on="lookalike_of", right_on="customer_id", suffixes=("", "_o"))
    assert len(looks)
    assert (looks.given_name == looks.given_name_o).all() and (looks.surname_latin == looks.surname_latin_o).all()
    assert (looks.date_of_birth != looks.date_of_birth_o).all()
    rows = sample.rows.merge(c[["customer_id", "previous_phone_e164"]], on="customer_id")
    assert (rows.phone == rows.previous_phone_e164).any(), "an old row still shows the phone before the move"
    assert c.previous_surname.notna().any()
    named = sample.rows[sample.rows.surname.notna()].merge(
        c[["customer_id", "given_name", "surname", "previous_surname"]], on="customer_id", suffixes=("", "_now")
    )
    assert (named.given_name == named.given_name_now).all()
    changed = named[named.surname != named.surname_now]
    assert len(changed), "some rows were written before the customer's wedding"
    assert (changed.surname == changed.previous_surname).all()
    assert (sample.rows.is_current == False).any()  # noqa: E712


def test_name_variants(sample: Sample) -> None:
    variants = "+".join(sample.rows.name_variant.dropna())
    for tag in ("nickname", "latin_pl", "latin_en", "swapped", "folded", "yo_as_e", "pinyin_suffix", "outdated"):
        assert tag in variants, tag
    both = sample.rows.merge(sample.customers[["customer_id", "culture"]], on="customer_id")
    fa = both[both.culture == "fa"]
    in_native = set(fa[fa.source_name == "reza_ahmadi"].customer_id)
    in_latin = set(fa[fa.source_name == "accounting_customers"].customer_id)
    assert in_native & in_latin, "Persian names in native script in one file and Latin in another"


def test_sentinels_in_several_languages(sample: Sample) -> None:
    values = set(sample.defects[sample.defects.defect == "sentinel"].value)
    languages = [
        {"brak", "brak danych", "nie podano", "Brak"},
        {"нет", "не указан", "Нет данных", "ххх"},
        {"n/a", "N/A", "none", "unknown", "TBD"},
        {"ندارد", "نامعلوم"},
        {"无", "不详", "暂无"},
    ]
    assert sum(bool(values & lang) for lang in languages) >= 3, values


def test_profiles_drive_behaviour(sample: Sample) -> None:
    inv = sample.invoices.merge(sample.customers[["customer_id", "behaviour_profile"]], on="customer_id")
    inv = inv[(inv.document_type == "invoice") & (inv.currency == "PLN")]
    means = inv.groupby("behaviour_profile").amount.median()
    assert means["big_spender"] > 3 * means["bargain_hunter"]
    per_customer = inv.groupby(["behaviour_profile", "customer_id"]).size().groupby("behaviour_profile").mean()
    assert per_customer["loyal_regular"] > per_customer["occasional"]


def test_settings_switch_mess_off(tmp_path: Path) -> None:
    clean = dataclasses.replace(
        GenerationSettings(),
        typo_rate=0.0,
        malformed_json_rate=0.0,
        duplicate_payment_rate=0.0,
        sentinel_rate=0.0,
        dob_sentinel_rate=0.0,
    )
    s = generate_sample(tmp_path, customers=150, seed=5, settings=clean)
    defects = pd.read_parquet(s.truth_dir / "defects.parquet")
    assert not defects.defect.isin(["typo", "malformed_json", "duplicate_payment", "sentinel"]).any()
    assert defects.defect.isin(["missing", "bad_phone"]).any()
