"""What journal entries and channels say, in the company's own words (``vocabulary.yml``).

A complaint is written the way each company writes it: a yes/no column, the type or topic of the entry
("Жалоба", "reklamacja", "complaint"), or one of its tags; a channel as "сайт", "internet" or "وبسایت". These
functions read every such carrier, in any of the project's languages, and give one standardized value beside
the written one, which is kept. Bundled words in ``data/vocabulary.yml``; a company's ``vocabulary.yml``
beside its sources file is merged over them (see transforms.settings.layered).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path

import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, field_validator

from transforms.settings.layered import load_for_sources, load_layered
from transforms.standardize.text import fold_label
from transforms.standardize.vocab import code_flag

DEFAULT_FILE = Path(__file__).parent / "data" / "vocabulary.yml"
_NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,50}$")
_HAN_KANA = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff]")
_WORD = re.compile(r"\w+")
_FIRST_WORD = re.compile(r"[\s,;:()\-\u2013\u2014]+")


def fold(value: str) -> str:
    """How written labels are compared: NFKC, case folded, no invisible characters, _ - . / read as spaces."""
    return fold_label(value, invisible=True, separators=True)


def _words(where: str, words: list[str]) -> list[str]:
    if not words:
        raise ValueError(f"{where}: list at least one word")
    for w in words:
        if not isinstance(w, str) or not fold(w):
            raise ValueError(f"{where}: {w!r} is not a word")
    return words


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class ComplaintWords(_Frozen):
    """The words that make a journal entry a complaint."""

    words: list[str] = Field(default_factory=list)
    negations: list[str] = Field(default_factory=list)

    @field_validator("words")
    @classmethod
    def _check(cls, v: list[str]) -> list[str]:
        return _words("words", v)

    @field_validator("negations")
    @classmethod
    def _check_negations(cls, v: list[str]) -> list[str]:
        return _words("negations", v) if v else v


class VocabularySettings(_Frozen):
    """The whole ``vocabulary.yml``: complaint words, kinds of contact and acquisition channels."""

    complaint: ComplaintWords = Field(default_factory=ComplaintWords)
    interaction_kinds: dict[str, list[str]] = Field(default_factory=dict)
    channels: dict[str, list[str]] = Field(default_factory=dict)

    @field_validator("interaction_kinds", "channels")
    @classmethod
    def _named(cls, v: dict[str, list[str]]) -> dict[str, list[str]]:
        for key, words in v.items():
            if not _NAME_RE.match(str(key)) or key in ("other", "unknown"):
                raise ValueError(f"{key!r}: a name is lower-case letters, digits and _ (not other or unknown)")
            _words(str(key), words)
        return v


def load_vocabulary(sources_file: str | Path | None = None) -> tuple[VocabularySettings, str]:
    """The vocabulary a run uses (bundled, or the company's vocabulary.yml over it) and where it came from."""
    return load_for_sources(VocabularySettings, DEFAULT_FILE, sources_file)


def load_vocabulary_file(path: str | Path | None = None) -> VocabularySettings:
    """The bundled vocabulary with one given file merged over it (for tests and the command line)."""
    return load_layered(VocabularySettings, DEFAULT_FILE, path)


@lru_cache(maxsize=64)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for ``words``: each at the start of a word of the text (anywhere for Han and kana)."""
    parts = []
    for w in sorted({fold(w) for w in words}, key=len, reverse=True):
        escaped = re.escape(w)
        parts.append(escaped if _HAN_KANA.match(w) else rf"(?<!\w){escaped}")
    return re.compile("|".join(parts))


def _folded(values: pd.Series) -> pd.Series:
    """Each value folded (None when empty or not text), computed once per distinct value."""
    texts = values.where(values.map(lambda v: isinstance(v, str)))
    folded = {v: fold(v) or None for v in texts.dropna().unique()}
    return texts.map(folded).astype("object")


def _found(text: str, pattern: re.Pattern[str], negations: frozenset[str]) -> bool:
    """Whether ``pattern`` occurs in ``text`` other than negated: a negation right before it ("no complaint",
    "без претензий", "无投诉"), or as the only word after it ("претензий нет", "reklamacji brak"); "complaint
    not resolved" is a complaint."""
    for m in pattern.finditer(text):
        before = _WORD.findall(text[: m.start()])[-1:]
        after = _WORD.findall(text[m.end() :])
        if m.end() < len(text) and _WORD.match(text[m.end()]):
            after = after[1:]  # the rest of the matched word
        if not negations.intersection(before + (after if len(after) == 1 else [])):
            return True
    return False


def mentions(values: pd.Series, words: list[str], negations: list[str] | None = None) -> pd.Series:
    """True where the text holds one of ``words`` (see the module's rules), not negated by a word of
    ``negations`` just before or after it; False for empty text."""
    if not words:
        return pd.Series(False, index=values.index, dtype=bool)
    pattern = _pattern(tuple(words))
    neg = frozenset(fold(w) for w in negations or [])
    folded = _folded(values)
    found = {t: _found(t, pattern, neg) for t in folded.dropna().unique()}
    return folded.map(lambda t: found.get(t, False) if isinstance(t, str) else False).astype(bool)


def name_by_words(values: pd.Series, names: Mapping[str, list[str]]) -> pd.Series:
    """Per value, the first name whose words it holds (a value equal to a name is that name); None otherwise."""
    folded = _folded(values)
    out = pd.Series(None, index=values.index, dtype="object")
    exact = {fold(n): n for n in names}
    out = folded.map(exact).astype("object")
    for name, words in names.items():
        todo = out.isna() & folded.notna()
        if not todo.any():
            break
        hit = mentions(values[todo], [name, *words])
        out[hit[hit].index] = name
    return out


def code_leading_flag(value: str | None) -> bool | None:
    """A written yes/no, also when a reason follows it ("да - брак товара", "yes, late delivery")."""
    if value is None:
        return None
    coded = code_flag(value)
    if coded is None:
        first = _FIRST_WORD.split(value.strip(), maxsplit=1)[0]
        coded = code_flag(first) if first and first != value.strip() else None
    return coded


def recognise_complaints(flag: pd.Series, *carriers: pd.Series, vocabulary: VocabularySettings) -> pd.Series:
    """Whether each entry is a complaint: its complaint column says yes (``flag``: True/False/None, coded from
    the written yes/no), or that column, its type or topic, or its tags hold a complaint word."""
    out = flag.astype("boolean").fillna(False).astype(bool)
    for carrier in carriers:
        out |= mentions(carrier, vocabulary.complaint.words, vocabulary.complaint.negations).to_numpy()
    return out


def interaction_kinds(types: pd.Series, source_names: pd.Series, *, vocabulary: VocabularySettings) -> pd.Series:
    """call, visit, email ... by the words of each entry's type, else of its journal's name; other when neither."""
    kind = name_by_words(types, vocabulary.interaction_kinds)
    by_source = name_by_words(source_names, vocabulary.interaction_kinds)
    kind[kind.isna()] = by_source[kind.isna()]
    kind[kind.isna()] = "other"
    return kind


def standardize_channels(written: pd.Series, *, vocabulary: VocabularySettings) -> pd.Series:
    """The acquisition channel's name for each written value (any language); other when it names none of them,
    None when empty."""
    named = name_by_words(written, vocabulary.channels)
    present = _folded(written).notna()
    named[present & named.isna()] = "other"
    named[~present] = None
    return named
