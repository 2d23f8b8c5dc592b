"""Complaints, kinds of contact and channels recognised from whatever carries them, in any language."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from tests.support import staged_rows
from transforms.settings.errors import SettingsError
from transforms.standardize.records import ReadingRules, standardize_contacts, standardize_interactions
from transforms.standardize.sentinels import load_sentinels
from transforms.standardize.vocabulary import (
    code_leading_flag,
    load_vocabulary,
    load_vocabulary_file,
    standardize_channels,
)

RULES = ReadingRules(phone_region="PL", date_order="DMY", as_of=dt.date(2026, 11, 20))


def _journal(source_name: str, **columns: list[object]) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return staged_rows(source_name, "journal", f"{source_name}.csv", interaction_at=["2026-01-05"] * n, **columns)


def test_complaint_as_the_topic_of_an_entry_in_any_language() -> None:
    topics = ["Жалоба", "Претензия", "reklamacja towaru", "Skarga", "Complaints", "شکایت", "客户投诉", "жалобы"]
    topics += ["Заказ", "Доставка", "reklama", "Гарантия", None]
    out, _ = standardize_interactions(_journal("call_log", interaction_type=topics), rules=RULES)
    assert out["is_complaint"].tolist() == [True] * 8 + [False] * 5
    assert out["interaction_type"].tolist()[:2] == ["Жалоба", "Претензия"]  # the written value is kept


def test_complaint_among_the_tags_or_in_the_complaint_column() -> None:
    raw = _journal(
        "visits",
        tags=['["complaint"]', '["vip", "Reklamacja"]', "[]", None, '["promo"]', None],
        complaint=[None, None, "да - брак товара", "нет", "Претензия по качеству", "tak"],
    )
    out, _ = standardize_interactions(raw, rules=RULES)
    assert out["is_complaint"].tolist() == [True, True, True, False, True, True]


def test_a_negated_complaint_is_none() -> None:
    topics = ["без претензий", "претензий нет", "no complaint", "brak reklamacji", "无投诉", '["no_complaint"]']
    topics += ["complaint not resolved", "Жалоба на доставку", '["complaint", "vip"]']
    out, _ = standardize_interactions(_journal("calls", interaction_type=topics), rules=RULES)
    assert out["is_complaint"].tolist() == [False] * 6 + [True] * 3


def test_a_yes_followed_by_its_reason_is_a_yes() -> None:
    assert code_leading_flag("да, задержка доставки") is True
    assert code_leading_flag("нет - всё хорошо") is False
    assert code_leading_flag("maybe later") is None


def test_kind_from_the_type_else_from_the_journal_name() -> None:
    calls, _ = standardize_interactions(_journal("call_log", interaction_type=["Заказ", "email", None]), rules=RULES)
    assert calls["interaction_kind"].tolist() == ["call", "email", "call"]
    visits, _ = standardize_interactions(
        _journal("shop_visits", interaction_type=["complaint", "survey", "Wizyta", "E-mail"]), rules=RULES
    )
    assert visits["interaction_kind"].tolist() == ["visit", "survey", "visit", "email"]
    other, _ = standardize_interactions(_journal("journal", interaction_type=["Оплата"]), rules=RULES)
    assert other["interaction_kind"].tolist() == ["other"]


def test_channels_in_one_vocabulary_with_the_written_value_kept() -> None:
    written = ["сайт", "internet", "web", "Website", "وبسایت", "وب‌سایت", "网站", "Радио", "gazeta", "event"]
    written += ["Trade show", "polecenie", "Recommended by a friend", "billboard", None]
    raw = _journal("sheet", channel=written).drop(columns="interaction_at")
    out, _ = standardize_contacts(raw, rules=RULES, sentinels=load_sentinels())
    assert out["channel"].tolist() == ["web"] * 7 + ["radio", "newspaper", "events", "events"] + [
        "referral",
        "referral",
        "other",
        None,
    ]
    assert out["channel_as_written"].tolist()[:3] == ["сайт", "internet", "web"]


def test_a_company_adds_its_own_words(tmp_path: Path) -> None:
    sources = tmp_path / "sources.yml"
    sources.write_text("version: 1\n", "utf-8")
    (tmp_path / "vocabulary.yml").write_text(
        "complaint:\n  words: [problem]\nchannels:\n  billboard: [billboard, bilbord]\n", "utf-8"
    )
    vocab, origin = load_vocabulary(sources)
    assert origin.endswith("vocabulary.yml")
    assert vocab.complaint.words == ["problem"]  # a list replaces the bundled one
    assert "web" in vocab.channels  # mappings are merged key by key
    assert standardize_channels(pd.Series(["Bilbord", "сайт"]), vocabulary=vocab).tolist() == ["billboard", "web"]
    rules = ReadingRules(phone_region="PL", date_order="DMY", vocabulary=vocab)
    out, _ = standardize_interactions(_journal("calls", interaction_type=["Problem z dostawą", "Жалоба"]), rules=rules)
    assert out["is_complaint"].tolist() == [True, False]


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("channels:\n  Web Site: [www]\n", "channels: Value error, 'Web Site'"),
        ("channels:\n  other: [misc]\n", "channels: Value error, 'other'"),
        ("interaction_kinds:\n  call: []\n", "interaction_kinds"),
        ("complaint:\n  word: [x]\n", "complaint.word"),
    ],
)
def test_a_mistake_names_the_file_and_the_key(tmp_path: Path, text: str, key: str) -> None:
    path = tmp_path / "vocabulary.yml"
    path.write_text(text, "utf-8")
    with pytest.raises(SettingsError) as err:
        load_vocabulary_file(path)
    assert str(path) in str(err.value) and key in str(err.value)
