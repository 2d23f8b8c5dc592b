"""The project's text folds (transforms.standardize.text): one place, each variant ignoring only what it says."""

from __future__ import annotations

import pytest

from transforms.extract.cells import normalize_header
from transforms.linkage.nicknames import lookup_key
from transforms.standardize.names import nickname_key
from transforms.standardize.text import accent_key, ascii_fold, fold_label, fold_phrase, text_key


@pytest.mark.parametrize(
    ("written", "folded"),
    [
        ("  Customer   NAME ", "customer name"),
        ("ＮＩＰ", "nip"),  # full-width forms are the plain letters
        ("Straße", "strasse"),  # case folding, not lower-casing
        ("call_log", "call_log"),  # separators are kept unless asked
        ("a\u200bb", "a\u200bb"),  # and so are invisible characters
    ],
)
def test_fold_label_plain(written: str, folded: str) -> None:
    assert fold_label(written) == folded


def test_fold_label_options_do_only_what_they_say() -> None:
    assert fold_label("  M. ", strip=" .") == "m"
    assert fold_label("— Razem: —", strip=" \t—–-*:=#|") == "razem"
    assert fold_label("e\u200b-mail / WWW", invisible=True) == "e-mail / www"
    assert fold_label("Call_Log.web\\sales", separators=True) == "call log web sales"
    assert fold_label("ma\u200bil_box", invisible=True, separators=True) == "mail box"


def test_headers_fold_as_labels_and_keep_their_separators() -> None:
    assert normalize_header(" Ｅ-Mail  Address ") == "e-mail address"
    assert normalize_header("e_mail") != normalize_header("e mail")  # two headers may differ by no more
    assert normalize_header(None) == ""


def test_text_key_uses_the_standardizers_clean_up() -> None:
    assert text_key("  BRAK\u00a0DANYCH ") == "brak danych"
    assert text_key("٤٢") == "42"  # Arabic-Indic digits
    assert text_key("“N/A”") == '"n/a"'  # typographic quotes
    assert text_key("   ") is None
    assert text_key(None) is None


def test_accent_key_folds_optional_accents_only() -> None:
    assert accent_key("Łódź") == accent_key("LODZ") == "lodz"
    assert accent_key("Ёлкин") == "елкин"
    assert accent_key("Йошкар") == "йошкар"  # й is a letter of its own, not an accented и


def test_fold_phrase_drops_every_mark_and_punctuation() -> None:
    assert fold_phrase("Nie płaci!!  w terminie…") == "nie placi w terminie"
    assert fold_phrase("NÃO paga") == "nao paga"
    assert fold_phrase("Straße; Øre, Đakovo") == "strasse ore dakovo"
    assert fold_phrase("Йошкар") == "иошкар"  # looser than accent_key: every combining mark goes


def test_ascii_fold_any_script_to_plain_ascii() -> None:
    assert ascii_fold("Łódź, ul. 3") == "lodz ul 3"
    assert ascii_fold("Щербаков") == "shcherbakov"
    assert ascii_fold("Anna-Maria O'Neil 2", sep="", digits=False) == "annamariaoneil"
    assert ascii_fold("  Jan  Kowalski (sales) ", sep="_") == "jan_kowalski_sales"
    assert ascii_fold("!!!") == ""


def test_nickname_lookup_shares_the_name_key() -> None:
    assert lookup_key is nickname_key
    assert nickname_key("Łukasz") == nickname_key("LUKASZ")
    assert nickname_key("علی") == accent_key("علی")  # an uncased script is compared as written
