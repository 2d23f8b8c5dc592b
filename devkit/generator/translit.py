"""Cyrillic to Latin the way different offices actually write it: Ivanov, Iwanow, Iwanoff, Kuzniecow.

A Russian customer typed by a Polish manager, an English-speaking accountant and a German-trained clerk
ends up under three spellings. The canonical Latin form in the truth uses the popular English scheme
("en"); the other schemes exist to plant realistic variants that linking must see through.
"""

from __future__ import annotations

from functools import cache

SCHEMES: tuple[str, ...] = ("en", "icao", "pl", "de", "en_off")

_VOWELS = set("аеёиоуыэюяАЕЁИОУЫЭЮЯ")
_SIGNS = set("ьъЬЪ")
_HUSHING = set("жшчщцЖШЧЩЦ")
_SOFT_VOWELS = set("еёюяиЕЁЮЯИ")

# fmt: off
_EN = {
    "а": "a", "б": "b", "в": "v", "г": "g", "д": "d", "е": "e", "ё": "yo", "ж": "zh", "з": "z", "и": "i",
    "й": "y", "к": "k", "л": "l", "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t",
    "у": "u", "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ъ": "", "ы": "y", "ь": "",
    "э": "e", "ю": "yu", "я": "ya",
}
_ICAO = {**_EN, "ё": "e", "й": "i", "ъ": "ie", "ю": "iu", "я": "ia"}
_DE = {
    **_EN, "в": "w", "ж": "sch", "з": "s", "й": "j", "х": "ch", "ц": "z", "ч": "tsch", "ш": "sch",
    "щ": "schtsch", "ю": "ju", "я": "ja", "ё": "jo", "с": "s",
}
_PL_HARD = {
    "а": "a", "б": "b", "в": "w", "г": "g", "д": "d", "ж": "ż", "з": "z", "к": "k", "м": "m", "н": "n",
    "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u", "ф": "f", "х": "ch", "ц": "c", "ч": "cz",
    "ш": "sz", "щ": "szcz", "ы": "y", "э": "e", "й": "j",
}
_PL_SOFT_SIGN = {"н": "ń", "с": "ś", "з": "ź", "т": "ć", "д": "dź", "л": "l"}
# fmt: on


def _case(src: str, out: str) -> str:
    if not out or not src.isupper():
        return out
    return out[0].upper() + out[1:]


def _simple(word: str, table: dict[str, str]) -> str:
    return "".join(_case(ch, table.get(ch.lower(), ch)) for ch in word)


def _polish(word: str) -> str:
    out: list[str] = []
    n = len(word)
    for i, ch in enumerate(word):
        lo = ch.lower()
        prev = word[i - 1].lower() if i else ""
        nxt = word[i + 1].lower() if i + 1 < n else ""
        after_vowel = i == 0 or prev in _VOWELS or prev in _SIGNS
        if lo in "еёюя":
            tail = {"е": "e", "ё": "o", "ю": "u", "я": "a"}[lo]
            if after_vowel:
                piece = "j" + tail
            elif prev in _HUSHING or prev == "л":
                piece = tail
            else:
                piece = "i" + tail
        elif lo == "и":
            piece = "ji" if prev in _SIGNS else "y" if prev in {"ж", "ш", "ц"} else "i"
        elif lo == "л":
            piece = "l" if nxt in _SOFT_VOWELS or nxt == "ь" else "ł"
        elif lo == "ь":
            soft = _PL_SOFT_SIGN.get(prev)
            if soft and out:
                out[-1] = _case(word[i - 1], soft)
            piece = ""
        elif lo == "ъ":
            piece = ""
        else:
            piece = _PL_HARD.get(lo, ch)
        out.append(_case(ch, piece))
    return "".join(out)


@cache
def transliterate(text: str, scheme: str = "en") -> str:
    """Latin spelling of Cyrillic ``text`` in one of SCHEMES; non-Cyrillic characters pass through."""
    words = text.split(" ")
    if scheme == "pl":
        return " ".join(_polish(w) for w in words)
    if scheme == "icao":
        return " ".join(_simple(w, _ICAO) for w in words)
    if scheme == "de":
        return " ".join(_simple(w, _DE) for w in words)
    out = " ".join(_simple(w, _EN) for w in words)
    if scheme == "en_off":
        parts = out.split(" ")
        parts = [p[:-2] + ("off" if p.endswith("ov") else "eff") if p.endswith(("ov", "ev")) else p for p in parts]
        out = " ".join(parts)
    return out
