"""Unicode clean-up and transliteration that every other standardizer builds on.

The same value arrives typed on different keyboards, pasted from PDFs and e-mails, exported by Excel: two spellings
of one name can differ only by an invisible character, an Arabic-vs-Persian letter form or the kind of digits used.
Everything that compares or keys values first goes through ``normalize_text``; everything that must be compared
across alphabets goes through ``to_latin``.

The project's few ways of folding text for comparison live here too, so that a header, a coded value, a note and a
name key are not each folded by a hand-written copy. Each differs for a reason, said in its docstring:

- ``fold_label``: headers and vocabulary words (NFKC, case folded, one space), with what each caller ignores around
  or inside a label;
- ``text_key``: a value as the standardizer cleaned it, case folded (sentinel markers, employee names);
- ``accent_key``: words looked up in the bundled tables (month names, countries, nicknames), accents folded;
- ``fold_phrase``: free text searched for phrases (reliability notes): every accent and punctuation mark dropped;
- ``ascii_fold``: any script as plain ASCII letters and digits (match keys, file names).
"""

from __future__ import annotations

import math
import re
import unicodedata
from functools import cache, lru_cache

from anyascii import anyascii
from pypinyin import Style, lazy_pinyin

from transforms.standardize._data import load_table

_LETTERS = load_table("letters.yml")
_ARABIC_TO_PERSIAN: dict[str, str] = _LETTERS["arabic_to_persian"]
_PUNCTUATION: dict[str, str] = _LETTERS["punctuation"]
_FOLD_LETTERS: dict[str, str] = _LETTERS["fold_letters"]
_FOLD_MARK_SCRIPTS = frozenset(_LETTERS["fold_mark_scripts"])
_KEEP_MARKED = frozenset(unicodedata.normalize("NFC", s) for s in _LETTERS["keep_marked"])
_TRANSLIT_OVERRIDES: dict[str, str] = _LETTERS["translit_overrides"]
_ARABIC_TABLE = str.maketrans(_ARABIC_TO_PERSIAN)

# Zero-width spaces, joiners and marks, word joiner, BOM: pasted into labels, invisible on screen.
_INVISIBLE = re.compile(r"[\u200b-\u200f\u2060\ufeff]")
# What a written label may put between its words: "call_log", "e-mail", "sales/web", "www.shop".
_SEPARATORS = re.compile(r"[\s_\-./\\]+")
_NON_WORD = re.compile(r"[^\w]+")
# Letters NFKD does not decompose, folded for free-text phrases.
_PHRASE_LETTERS = str.maketrans({"ł": "l", "ø": "o", "đ": "d"})
_ASCII_RUNS = {
    True: re.compile(r"[^0-9a-z]+"),
    False: re.compile(r"[^a-z]+"),
}

# CJK unified ideographs (basic, extension A, compatibility, extensions B and later).
_HAN_RUN = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]+)")


def _map_char(ch: str) -> str | None:
    """What ``normalize_text`` makes of one character after NFKC (None deletes it)."""
    if ch in _ARABIC_TO_PERSIAN:
        return _ARABIC_TO_PERSIAN[ch] or None
    if ch in _PUNCTUATION:
        return _PUNCTUATION[ch]
    if ch.isspace():
        return " "
    category = unicodedata.category(ch)
    if category in ("Cf", "Cc"):
        # Zero-width spaces and joiners, bidi marks, BOM, soft hyphen, control characters: invisible, and
        # never intended as part of the value.
        return None
    if ch.isdecimal() and not ch.isascii():
        return str(unicodedata.decimal(ch))
    return ch


class _CharMap(dict[int, str | None]):
    """A ``str.translate`` table filled lazily, one code point at a time (Unicode is too big to build up front)."""

    def __missing__(self, code: int) -> str | None:
        value = _map_char(chr(code))
        self[code] = value
        return value


_CHARS = _CharMap()


def normalize_text(value: object) -> str | None:
    """The value as clean text: NFKC, one kind of space, no invisible characters, ASCII digits; None when empty.

    NFKC folds full-width forms, ligatures and Arabic presentation forms; the extra steps cover what NFKC leaves:
    Arabic-Indic, Persian and other decimal digits become ASCII, Arabic yeh/kaf become the Persian letters (a
    canonical choice so both keyboards compare equal, not a claim about the language), typographic quotes and dashes
    become ASCII, zero-width and bidi characters are dropped (the Persian zero-width non-joiner too: "علی‌رضا" and
    "علیرضا" are one name), and runs of any whitespace (NBSP included) become one space. Integral floats, as Excel
    hands over numbers typed into text columns, are written without ``.0``; NaN is treated as missing.
    """
    if value is None:
        return None
    if not isinstance(value, str):
        if isinstance(value, float):
            if math.isnan(value):
                return None
            if value.is_integer():
                value = str(int(value))
        value = str(value)
    text = unicodedata.normalize("NFKC", value).translate(_CHARS)
    text = " ".join(text.split())
    return text or None


@cache
def _marks_foldable(base: str) -> bool:
    """Whether combining marks on ``base`` are optional accents (Latin, Greek...) rather than spelling."""
    return unicodedata.name(base, "").split(" ", 1)[0] in _FOLD_MARK_SCRIPTS


def fold_diacritics(s: str) -> str:
    """``s`` without accents: "Łódź" -> "Lodz", "Ёлкин" -> "Елкин", "أحمد" -> "احمد".

    Only marks of scripts where they are optional accents are removed; й and ў stay, being letters of their own,
    and so do Indic vowel signs or Japanese dakuten, which change the word. Letters such as ł, ø or ß, which
    Unicode does not decompose, are folded from a small table.
    """
    if s.isascii():
        return s
    out: list[str] = []
    base = ""
    for ch in unicodedata.normalize("NFD", s):
        if unicodedata.category(ch) == "Mn":
            if base and _marks_foldable(base) and unicodedata.normalize("NFC", base + ch) not in _KEEP_MARKED:
                continue
            out.append(ch)
        else:
            base = ch
            out.append(_FOLD_LETTERS.get(ch, ch))
    return unicodedata.normalize("NFC", "".join(out)).translate(_ARABIC_TABLE)


@cache
def _translit_char(ch: str) -> str:
    """One non-Han character in ASCII; the apostrophes anyascii uses for soft signs and ayn are dropped."""
    return anyascii(ch).replace("'", "").replace("`", "")


@lru_cache(maxsize=1 << 17)
def to_latin(s: str) -> str:
    """A lower-case Latin transliteration of ``s`` whatever its script, for comparing values across alphabets.

    Chinese characters are read with pypinyin (without tones, syllables separated by spaces: "王伟" -> "wang wei");
    everything else goes through anyascii ("Щербаков" -> "shcherbakov", "Παπαδόπουλος" -> "papadopoulos"). Scripts
    that do not write vowels (Persian, Arabic) give consonant skeletons ("علی رضایی" -> "ly rdyy"): consistent
    within the script, not comparable with a Latin spelling made by a person. Japanese kanji are read as Chinese.
    """
    text = normalize_text(s)
    if text is None:
        return ""
    text = fold_diacritics(text)
    if not text.isascii():
        for source, target in _TRANSLIT_OVERRIDES.items():
            text = text.replace(source, target)
        parts: list[str] = []
        for i, part in enumerate(_HAN_RUN.split(text)):
            if i % 2:
                parts.append(" " + " ".join(lazy_pinyin(part, style=Style.NORMAL, v_to_u=True)) + " ")
            elif part.isascii():
                parts.append(part)
            else:
                parts.append("".join(c if c.isascii() else _translit_char(c) for c in part))
        text = fold_diacritics("".join(parts))
    return " ".join(text.lower().split())


def fold_label(value: str, *, strip: str = "", invisible: bool = False, separators: bool = False) -> str:
    """A label as compared with the labels a file or settings file declares: NFKC, case folded, single spaces.

    NFKC makes full-width and compatibility forms equal to the plain ones ("ＮＩＰ" is "nip"), and case and spacing
    never matter. ``strip`` lists characters ignored at either end: vocabulary words ignore a trailing full stop
    ("m." is "m"), a sheet's marker rows their decoration ("— Warszawa —", "Total:"). ``invisible`` drops zero-width
    characters and ``separators`` reads _ - . / \\ as spaces, for journal labels typed freely ("call_log" is
    "call log"); headers keep both, since two headers may differ by nothing else.
    """
    text = unicodedata.normalize("NFKC", value)
    if invisible:
        text = _INVISIBLE.sub("", text)
    text = text.casefold()
    if separators:
        text = _SEPARATORS.sub(" ", text)
    if strip:
        text = text.strip(strip)
    return " ".join(text.split())


def text_key(value: object) -> str | None:
    """``normalize_text`` case folded (None when empty): how a cleaned value is compared with a list of words.

    Unlike ``fold_label`` it keeps the standardizer's whole clean-up (Arabic letter forms, non-ASCII digits,
    typographic quotes and dashes), so a marker or an employee's name matches however it was typed.
    """
    text = normalize_text(value)
    return None if text is None else text.casefold()


def accent_key(text: str) -> str:
    """``fold_diacritics`` case folded: how words are looked up in the bundled tables (month names, countries,
    nicknames), where "Łódź", "lodz" and "LODZ" are one entry but й, ў or an Indic vowel sign still count."""
    return fold_diacritics(text).casefold()


def fold_phrase(text: str) -> str:
    """Free text as phrases are searched in it (reliability notes): case folded, every combining mark dropped
    whatever its script, ł ø đ folded, punctuation read as a space, single spaces.

    Looser than ``accent_key`` on purpose: a note is typed fast, often without its accents or with stress marks,
    and a phrase is a few words of a bundled list folded the same way, so "nie płaci" finds "nie placi" and
    "não paga" finds "nao paga"; that й reads as и here costs nothing when both sides fold alike.
    """
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).translate(_PHRASE_LETTERS)
    return " ".join(_NON_WORD.sub(" ", bare).split())


def ascii_fold(text: str, *, sep: str = " ", digits: bool = True) -> str:
    """``text`` in any script as lower-case ASCII (anyascii), each run of anything else replaced by ``sep``.

    A match key that must not depend on the script or the punctuation ("Łódź, ul. 3" -> "lodz ul 3"), or a name
    safe in a file name (``sep="_"``). ``digits=False`` keeps letters alone. Rougher than ``to_latin`` (no
    pinyin, no table overrides), and cheaper, for values already standardized.
    """
    return _ASCII_RUNS[digits].sub(sep, anyascii(text).lower()).strip(sep)
