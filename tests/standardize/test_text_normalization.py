"""normalize_text, fold_diacritics and to_latin on values from several keyboards and scripts."""

import pytest

from transforms.standardize.text import fold_diacritics, normalize_text, to_latin


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (" Jan\u00a0\u200b  Kowalski ", "Jan Kowalski"),  # NBSP, zero-width space, runs of spaces
        ("Anna\tMaria\nNowak", "Anna Maria Nowak"),
        ("\ufeffIvanov\u200e", "Ivanov"),  # BOM, left-to-right mark
        ("علي كريمي", "علی کریمی"),  # Arabic yeh and kaf -> Persian letters
        ("ﻋﻠﻲ", "علی"),  # Arabic presentation forms
        ("فاطمة", "فاطمة"),  # teh marbuta is kept
        ("علی\u200cرضا", "علیرضا"),  # zero-width non-joiner dropped
        ("محـــمد", "محمد"),  # tatweel
        ("۰۹۱۲ ۱۲۳ ٤٥٦٧", "0912 123 4567"),  # Persian and Arabic-Indic digits
        ("１２３ ＡＢＣ", "123 ABC"),  # full-width
        ("O’Brien — “Ltd”", 'O\'Brien - "Ltd"'),
        ("چطور؟", "چطور?"),  # Arabic question mark
        ("", None),
        ("  \u200b ", None),
        (None, None),
    ],
)
def test_normalize_text(written: str | None, expected: str | None) -> None:
    assert normalize_text(written) == expected


def test_normalize_text_reads_excel_numbers_as_written() -> None:
    assert normalize_text(601234567.0) == "601234567"
    assert normalize_text(12.5) == "12.5"
    assert normalize_text(float("nan")) is None
    assert normalize_text(42) == "42"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Łódź Żółć", "Lodz Zolc"),
        ("São Paulo, Zoë, Ñúñez", "Sao Paulo, Zoe, Nunez"),
        ("Straße Ørsted Æsir", "Strasse Orsted AEsir"),
        ("Ёлкин", "Елкин"),  # ё folds, it is often written е
        ("Андрей Йошкин", "Андрей Йошкин"),  # й is a letter of its own
        ("أحمد إيمان آرش", "احمد ایمان ارش"),  # hamza and madda folded
        ("हिंदी", "हिंदी"),  # Devanagari vowel signs are spelling, not accents
        ("がぎぐ", "がぎぐ"),  # Japanese dakuten too
        ("plain ascii", "plain ascii"),
    ],
)
def test_fold_diacritics(written: str, expected: str) -> None:
    assert fold_diacritics(written) == expected


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Иванов Иван Петрович", "ivanov ivan petrovich"),
        ("Щербаков", "shcherbakov"),
        ("Хрущёв", "khrushchev"),
        ("Андрей", "andrey"),
        ("Олександр Ірина", "oleksandr irina"),
        ("王伟", "wang wei"),
        ("欧阳娜娜", "ou yang na na"),
        ("吕", "lu"),
        ("Wang 伟", "wang wei"),
        ("Παπαδόπουλος", "papadopoulos"),
        ("علی رضایی", "ly rdyy"),  # no vowels are written: a consonant skeleton
        ("Łódź", "lodz"),
        ("  MARIA  ", "maria"),
        ("やまだ", "yamada"),
        ("", ""),
    ],
)
def test_to_latin(written: str, expected: str) -> None:
    assert to_latin(written) == expected
