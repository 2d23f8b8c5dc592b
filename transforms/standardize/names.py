"""Person names: splitting a written full name into its parts, and keys that survive transliteration.

Sales managers write "Иванов Иван Петрович", "IVANOV I.", "Ivan Ivanov", "Ivanov, Ivan", "王伟" or "علی رضایی" in
the same column, and the same surname reaches us as Ivanov, Iwanow and Ivanoff depending on who transliterated it.
Linkage needs the parts in the same slots and a key that is equal for the spellings of one name.

What cannot be known from the string alone is reported, not guessed silently: ``ParsedName.ambiguity`` says why a
reading is uncertain (two words with no sign of their order, a Spanish-style middle word, a four-character Han name).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache, lru_cache

import jellyfish
import pandas as pd
from pypinyin.contrib.tone_convert import to_normal
from pypinyin.pinyin_dict import pinyin_dict

from transforms.standardize._data import load_table, string_list
from transforms.standardize.text import accent_key, normalize_text, to_latin
from transforms.standardize.vectorize import results_frame


@dataclass(frozen=True, slots=True)
class ParsedName:
    """The parts of a written full name; ``ambiguity`` names the doubt when the reading is a best guess."""

    given_name: str | None = None
    surname: str | None = None
    patronymic: str | None = None
    initials: str | None = None
    ambiguity: str | None = None

    @property
    def ambiguous(self) -> bool:
        return self.ambiguity is not None


# ---------------------------------------------------------------------------------------------------------- tables


def _lower_set(values: object, where: str) -> frozenset[str]:
    return frozenset(v.casefold() for v in string_list(values, where))


_PARTS = load_table("name_parts.yml")
_TITLES = _lower_set(_PARTS["titles"], "name_parts.yml: titles")
_TITLES_IF_MORE = _lower_set(_PARTS["titles_if_more"], "name_parts.yml: titles_if_more")
_HAN_TITLE_SUFFIXES = tuple(string_list(_PARTS["han_title_suffixes"], "name_parts.yml: han_title_suffixes"))
_SUFFIXES = _lower_set(_PARTS["suffixes"], "name_parts.yml: suffixes")
_PARTICLES = _lower_set(_PARTS["particles"], "name_parts.yml: particles")
_PATRONYMIC_SUFFIXES = _lower_set(_PARTS["patronymic_suffixes"], "name_parts.yml: patronymic_suffixes")
_PATRONYMIC_WORDS = _lower_set(_PARTS["patronymic_words"], "name_parts.yml: patronymic_words")
_SURNAME_SUFFIXES = _lower_set(_PARTS["surname_suffixes"], "name_parts.yml: surname_suffixes")
_HAN_COMPOUND_SURNAMES = frozenset(string_list(_PARTS["han_compound_surnames"], "name_parts.yml"))
_PINYIN_SURNAMES = _lower_set(_PARTS["pinyin_surnames"], "name_parts.yml: pinyin_surnames")

_FOLDS = load_table("latin_folds.yml")
_PREFOLD = str.maketrans(_FOLDS["prefold"])
_LATIN_FOLDS = tuple((re.compile(pattern), replacement) for pattern, replacement in _FOLDS["folds"])

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_HAN_WORD = re.compile(f"{_HAN.pattern}+")
_HAN_NAME_SEPARATORS = re.compile(r"\s*[·•・]\s*")
_INITIAL = re.compile(r"(?:[^\W\d_]\.)+|[^\W\d_]")
_GLUED_INITIAL = re.compile(r"(?<=\b[^\W\d_]\.)(?=[^\W\d_]{2,})")  # "I.P.Ivanov" -> "I.P. Ivanov"
_NOT_LETTERS = re.compile(r"[^a-z]+")
_BRACKETED = re.compile(r"\s*[(\[][^()\[\]]*[)\]]")  # "罗浩然 (Luo Haoran)", "Nowak (z d. Kowalska)"


# ------------------------------------------------------------------------------------------------------ match keys


@lru_cache(maxsize=1 << 17)
def name_key(s: str) -> str:
    """A Latin key equal for the usual spellings of one name: Ivanov / Iwanow / Ivanoff -> "ivanov".

    ``to_latin`` first (so "Иванов" joins the Latin spellings), then the ordered folds of ``data/latin_folds.yml``
    over the letters only (spaces, hyphens and apostrophes are dropped: "Mary-Ann" = "Maryann"). Gender endings are
    kept (Ivanov and Ivanova get different keys) and so are different forms of a name (Oleksandr / Aleksandr): see
    the data file for why. Empty string when there are no letters.
    """
    text = normalize_text(s)
    if text is None:
        return ""
    key = _NOT_LETTERS.sub("", to_latin(text.translate(_PREFOLD)))
    for pattern, replacement in _LATIN_FOLDS:
        key = pattern.sub(replacement, key)
    return key


_ABJAD = _FOLDS["abjad"]
_ABJAD_SCRIPTS = frozenset(string_list(_ABJAD["scripts"], "latin_folds.yml: abjad.scripts"))
_ABJAD_DROP = re.compile(f"[{re.escape(_ABJAD['drop'])}]")
_ABJAD_FOLDS = tuple((re.compile(pattern), replacement) for pattern, replacement in _ABJAD["folds"])
_DOUBLED = re.compile(r"(.)\1+")
_FINAL_H = re.compile(r"(?<=.)h$")


@lru_cache(maxsize=1 << 16)
def written_in_abjad(s: str) -> bool:
    """Whether most letters of ``s`` are of a script written without short vowels (Arabic, Persian, Hebrew)."""
    letters = [c for c in s if c.isalpha()]
    abjad = sum(unicodedata.name(c, "").split(" ", 1)[0] in _ABJAD_SCRIPTS for c in letters)
    return bool(letters) and 2 * abjad > len(letters)


@lru_cache(maxsize=1 << 17)
def abjad_skeleton(key: str) -> str:
    """The consonant skeleton of a ``name_key``, for comparing a name written in an abjad script with a Latin
    spelling of it: "nvri" (نوری) and "nori" (Noori) -> "nr"; "thrn" (تهران) and "tehran" -> "thrn".

    Only meaningful across scripts: within Latin spellings the vowels are evidence (Maria / Mario). Skeletons are
    coarse, and some names meet (علی and Li, حسن and Hossein), so they are one comparison among others, never a
    match on their own. The rules are in ``data/latin_folds.yml`` (abjad). The key itself when nothing would be
    left.
    """
    skeleton = _ABJAD_DROP.sub("", key)
    for pattern, replacement in _ABJAD_FOLDS:
        skeleton = pattern.sub(replacement, skeleton)
    return _FINAL_H.sub("", _DOUBLED.sub(r"\1", skeleton)) or key


def phonetic_key(s: str) -> str:
    """Metaphone code of ``name_key(s)``: a looser key for blocking that also joins near-homophones (Meyer / Maier,
    Catherine / Katherine), and vowel-only differences too (Ivanov / Ivanova): never a match on its own."""
    key = name_key(s)
    return jellyfish.metaphone(key) if key else ""


def nickname_key(name: str) -> str:
    """``name_key`` for names in cased scripts; in Arabic script the written form itself.

    Persian and Arabic are written without vowels, so their Latin key is a skeleton ("علی" -> "li") that would
    collide with unrelated Latin names (Li); their names are therefore compared as written.
    """
    if _is_cased(name):
        return name_key(name)
    text = normalize_text(name)
    return accent_key(text) if text else ""


@cache
def load_nicknames() -> Mapping[str, frozenset[str]]:
    """Key of every name in ``data/nicknames.yml`` -> the groups (their first names) it belongs to."""
    groups: dict[str, set[str]] = {}
    for group in load_table("nicknames.yml")["groups"]:
        names = string_list(group, "nicknames.yml: groups")
        for name in names:
            groups.setdefault(nickname_key(name), set()).add(names[0])
    return {key: frozenset(names) for key, names in groups.items()}


def nickname_groups(given_name: str) -> frozenset[str]:
    """The nickname groups of a given name ("Саша" -> {"Aleksandr", "Aleksandra"}); empty when it is in none."""
    return load_nicknames().get(nickname_key(given_name), frozenset())


# ------------------------------------------------------------------------------------------------- word properties


@cache
def _given_name_keys() -> frozenset[str]:
    """Keys of the names known to be given names: the nickname table and ``data/given_names.yml``."""
    listed = string_list(load_table("given_names.yml")["names"], "given_names.yml: names")
    return frozenset(load_nicknames()) | frozenset(nickname_key(name) for name in listed)


@lru_cache(maxsize=1 << 16)
def _is_known_given(word: str) -> bool:
    return nickname_key(word) in _given_name_keys()


def is_known_given_name(word: str) -> bool:
    """Whether ``word`` (as written or as a match key) is a known given name or nickname."""
    return _is_known_given(word)


def _has_suffix(word: str, suffixes: frozenset[str]) -> bool:
    """Whether the word ends with one of the endings and has at least two letters before it."""
    w = word.casefold()
    return any(w[-n:] in suffixes for n in range(1, len(w) - 1))


@lru_cache(maxsize=1 << 16)
def _is_patronymic(word: str) -> bool:
    return _has_suffix(word, _PATRONYMIC_SUFFIXES)


@lru_cache(maxsize=1 << 16)
def _is_surname_like(word: str) -> bool:
    return _has_suffix(word, _SURNAME_SUFFIXES)


def _is_cased(word: str) -> bool:
    """Whether the word has letters with case (Latin, Cyrillic, Greek), unlike Han or Arabic script."""
    return word.lower() != word.upper()


@lru_cache(maxsize=1 << 16)
def _is_caps(word: str) -> bool:
    letters = [c for c in word if c.isalpha()]
    return len(letters) > 1 and word.isupper()


@lru_cache(maxsize=1 << 16)
def _is_initial(word: str) -> bool:
    return _is_cased(word) and _INITIAL.fullmatch(word) is not None


def _is_han(word: str) -> bool:
    return _HAN_WORD.fullmatch(word) is not None


@cache
def _pinyin_syllables() -> frozenset[str]:
    """Every toneless pinyin syllable pypinyin knows (about 400), to recognise romanized Chinese names."""
    syllables = {to_normal(p) for readings in pinyin_dict.values() for p in readings.split(",")}
    return frozenset(s for s in syllables if s.isascii() and any(v in s for v in "aeiouv"))


@lru_cache(maxsize=1 << 16)
def _is_pinyin(word: str) -> bool:
    """Whether ``word`` is a run of pinyin syllables ("Weiming", "Ouyang")."""
    w = word.casefold()
    if not w.isascii() or not w.isalpha():
        return False
    syllables = _pinyin_syllables()
    reachable = [True] + [False] * len(w)
    for end in range(1, len(w) + 1):
        reachable[end] = any(reachable[start] and w[start:end] in syllables for start in range(max(0, end - 6), end))
    return reachable[-1]


@lru_cache(maxsize=1 << 16)
def _fix_case(word: str) -> str:
    """'IVANOV' / 'ivanov' -> 'Ivanov'; mixed case (McDonald) is kept as written."""
    if _is_cased(word) and (word.isupper() or word.islower()) and not _is_initial(word):
        return word.title()
    return word


def _script(word: str) -> str:
    """The Unicode script name of the word's first letter (LATIN, CYRILLIC, ARABIC, CJK ...)."""
    letter = next((c for c in word if c.isalpha()), "")
    return unicodedata.name(letter, "").split(" ", 1)[0]


def _initial_of(word: str) -> str | None:
    return f"{word[0].upper()}." if word and _is_cased(word[0]) else None


# --------------------------------------------------------------------------------------------------- the splitting


def _join(words: list[str]) -> str | None:
    return " ".join(words) or None


def _drop_titles(words: list[str]) -> list[str]:
    def bare(w: str) -> str:
        return w.casefold().rstrip(".,")

    while words and (
        (bare(words[0]) in _TITLES and len(words) > 1) or (bare(words[0]) in _TITLES_IF_MORE and len(words) > 2)
    ):
        words = words[1:]
    while len(words) > 1 and bare(words[-1]) in _SUFFIXES:
        words = words[:-1]
    return words


def _merge_patronymic_words(words: list[str]) -> list[str]:
    """'Ахмед оглы' is one patronymic: glue the Turkic marker to the word before it."""
    out: list[str] = []
    for w in words:
        if out and w.casefold() in _PATRONYMIC_WORDS:
            out[-1] = f"{out[-1]} {w}"
        else:
            out.append(w)
    return out


def _is_patronymic_part(word: str) -> bool:
    last = word.rsplit(" ", 1)[-1]
    return last.casefold() in _PATRONYMIC_WORDS or _is_patronymic(word)


def _split_han(text: str) -> ParsedName:
    """A Chinese name written without spaces: family name first, one character unless a known compound."""
    for title in _HAN_TITLE_SUFFIXES:
        if text.endswith(title) and len(text) > len(title):
            return ParsedName(surname=text[: -len(title)])
    if len(text) == 1:
        return ParsedName(surname=text, ambiguity="single_word")
    if text[:2] in _HAN_COMPOUND_SURNAMES and len(text) > 2:
        return ParsedName(given_name=text[2:], surname=text[:2])
    if len(text) == 4:
        # Neither a compound surname nor a usual Chinese length: a Japanese 2+2 name or a double surname.
        return ParsedName(given_name=text[2:], surname=text[:2], ambiguity="han_split_guessed")
    if len(text) > 4:
        return ParsedName(given_name=text[1:], surname=text[:1], ambiguity="han_split_guessed")
    return ParsedName(given_name=text[1:], surname=text[0])


def _surname_first_votes(first: str, last: str) -> tuple[int, int, bool]:
    """Weighed evidence that the first word is the surname, that the last word is, and whether only a known given
    name gave it. A word in capitals and a known given name count double; a surname ending counts once, and not
    on a known given name (Konstantin ends like Putin)."""

    def surname_like(w: str) -> bool:
        return _is_surname_like(w) and not _is_known_given(w)

    caps_first, caps_last = _is_caps(first) and not _is_caps(last), _is_caps(last) and not _is_caps(first)
    like_first = surname_like(first) and not surname_like(last)
    like_last = surname_like(last) and not surname_like(first)
    given_first, given_last = _is_known_given(first), _is_known_given(last)
    by_first = 2 * caps_first + like_first + 2 * (given_last and not given_first)
    by_last = 2 * caps_last + like_last + 2 * (given_first and not given_last)
    only_given_names = not (caps_first or caps_last or like_first or like_last)
    return by_first, by_last, only_given_names


def _compose(
    given: list[str], surname: list[str], patronymic: str | None, initials: list[str], ambiguity: str | None
) -> ParsedName:
    given = [_fix_case(w) for w in given]
    surname = [
        w.casefold() if i < len(surname) - 1 and w.casefold() in _PARTICLES else _fix_case(w)
        for i, w in enumerate(surname)
    ]
    if patronymic:
        patronymic = " ".join(
            w.casefold() if w.casefold() in _PATRONYMIC_WORDS else _fix_case(w) for w in patronymic.split()
        )
    letters = [_initial_of(given[0])] if given else []
    letters += [w.upper() for w in initials]
    if patronymic:
        letters.append(_initial_of(patronymic))
    initials_text = "".join(x for x in letters if x) or None
    return ParsedName(_join(given), _join(surname), patronymic, initials_text, ambiguity)


def _split_surname_first(words: list[str], initials: list[str], ambiguity: str | None) -> ParsedName:
    rest = words[1:]
    patronymic = rest.pop() if len(rest) > 1 and _is_patronymic_part(rest[-1]) else None
    return _compose(rest, words[:1], patronymic, initials, ambiguity)


def _split_given_first(words: list[str], initials: list[str], ambiguity: str | None) -> ParsedName:
    if len(words) == 3 and _is_patronymic_part(words[1]):
        return _compose(words[:1], words[2:], words[1], initials, ambiguity)
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in _PARTICLES:
        start -= 1
    given, surname = words[:start], words[start:]
    if len(given) > 1 and ambiguity is None:
        ambiguity = "middle_words"  # a middle name, or the first of two surnames (García Márquez)?
    return _compose(given, surname, None, initials, ambiguity)


def _split_one_word(word: str, initials: list[str]) -> ParsedName:
    if initials or _is_surname_like(word) or _is_caps(word):
        return _compose([], [word], None, initials, None)  # "IVANOV I.", "Kowalska"
    if _is_known_given(word):
        return _compose([word], [], None, initials, None)
    return _compose([], [word], None, initials, "single_word")


def _by_patronymic(words: list[str], initials: list[str]) -> ParsedName | None:
    """The Russian orders, told by the patronymic's place."""
    at = [i for i, w in enumerate(words) if _is_patronymic_part(w)]
    if at and len(words) >= 3 and at[-1] == len(words) - 1:
        return _split_surname_first(words, initials, None)  # Иванов Иван Петрович
    if at and len(words) >= 3 and at[0] == 1:
        return _split_given_first(words, initials, None)  # Иван Петрович Иванов
    if len(words) == 2 and at == [1] and not _is_surname_like(words[0]):
        # "Иван Петрович" is how people are addressed; but -ович is also a surname (Lukashevich).
        return _compose(words[:1], [], words[1], initials, "patronymic_or_surname")
    return None


def _by_chinese(words: list[str], initials: list[str]) -> ParsedName | None:
    """Chinese names: in characters always surname first; in pinyin surname first if the first word is a surname."""
    if all(_is_han(w) for w in words):
        return _split_surname_first(words, initials, None)
    if not all(_is_pinyin(w) for w in words) or any(_is_known_given(w) for w in words):
        return None
    first_is, last_is = words[0].casefold() in _PINYIN_SURNAMES, words[-1].casefold() in _PINYIN_SURNAMES
    if first_is:
        return _split_surname_first(words, initials, "pinyin_order" if last_is else None)
    return _split_given_first(words, initials, None) if last_is else None


def _by_votes(words: list[str], initials: list[str]) -> ParsedName:
    first, last = words[0], words[-1]
    by_first, by_last, only_given_names = _surname_first_votes(first, last)
    if by_first > by_last:
        # Surname first is the norm in Cyrillic; in Latin letters, when only a given name standing last tells it,
        # it stays a guess ("Nowak Jan" but also "Elton John").
        guessed = only_given_names and _script(first) != "CYRILLIC"
        return _split_surname_first(words, initials, "order_guessed" if guessed else None)
    return _split_given_first(words, initials, None if by_last > by_first else "order_unknown")


def _split_words(words: list[str], initials: list[str]) -> ParsedName:
    """Words (initials taken out) in an unknown order."""
    if len(words) == 1:
        return _split_one_word(words[0], initials)
    return _by_patronymic(words, initials) or _by_chinese(words, initials) or _by_votes(words, initials)


def _split_in_characters(text: str) -> ParsedName | None:
    compact = text.replace(" ", "")
    if _HAN.search(compact) and _HAN_NAME_SEPARATORS.search(text):
        # 约翰·史密斯: a foreign name written in characters keeps its own order, given name first.
        return _split_given_first(_HAN_NAME_SEPARATORS.split(text), [], None)
    return _split_han(compact) if _is_han(compact) else None


def _split_with_comma(text: str) -> ParsedName | None:
    """ "Surname, Given [Patronymic]" and "Surname, I.P."; None when one side is empty."""
    before, _, after = text.partition(",")
    surname = _drop_titles(before.split())
    rest = _merge_patronymic_words(_drop_titles(after.replace(",", " ").split()))
    initials = [w for w in rest if _is_initial(w)]
    given = [w for w in rest if not _is_initial(w)]
    if not surname or not (given or initials):
        return None
    patronymic = given.pop() if len(given) > 1 and _is_patronymic_part(given[-1]) else None
    return _compose(given, surname, patronymic, initials, None)


@lru_cache(maxsize=1 << 16)
def split_full_name(full: str) -> ParsedName:
    """The given name, surname, patronymic and initials written in ``full``, in whichever order they were written.

    Rules, in order: Chinese written in characters is family name first (compound family names from a table); a
    comma means "surname, given names"; a patronymic (-ович, -евна, -ovich, оглы) fixes the Russian orders
    "Surname Given Patronymic" and "Given Patronymic Surname"; romanized Chinese ("Wang Wei") is read surname first
    when the first word is a common Chinese surname; otherwise the first and last words are weighed on surname
    endings (-ov, -ska, -енко, -швили), on a word in capitals (IVANOV Ivan) and on known given names, and the
    Western order "Given Surname" is the default. Initials ("IVANOV I.P.", "I. Ivanov") are collected apart.
    Titles (Mr, Pan, г-н, آقای), Jr/Sr and anything in brackets (another spelling, a maiden name) are dropped.
    Names in Arabic script are read given name first.
    """
    text = normalize_text(_BRACKETED.sub("", full) or full)
    if text is None:
        return ParsedName()
    text = _GLUED_INITIAL.sub(" ", text)
    parsed = _split_in_characters(text) or (_split_with_comma(text) if "," in text else None)
    if parsed is not None:
        return parsed
    words = _merge_patronymic_words(_drop_titles(text.replace(",", " ").split()))
    initials = [w for w in words if _is_initial(w)]
    words = [w for w in words if not _is_initial(w)]
    if words:
        return _split_words(words, initials)
    return _compose([], [], None, initials, "initials_only") if initials else ParsedName()


def split_full_names(values: pd.Series) -> pd.DataFrame:
    """``split_full_name`` over a column (once per distinct value): given_name, surname, patronymic, initials,
    name_ambiguity."""
    columns = {
        "given_name": "given_name",
        "surname": "surname",
        "patronymic": "patronymic",
        "initials": "initials",
        "name_ambiguity": "ambiguity",
    }
    return results_frame(values, lambda v: split_full_name(v) if isinstance(v, str) else ParsedName(), columns)
