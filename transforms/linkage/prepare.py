"""Records made ready for linking: evidence as text, derived match keys, and whether a record can be linked at all.

Every later step (blocking, comparing, scoring one new record on entry) works on this prepared frame, so the
keys are computed once, by one code path, whatever the size: a million staged contacts or a single new one.
Steps run once per distinct value (names and dates repeat a lot), never once per row.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

import jellyfish
import numpy as np
import pandas as pd

from transforms.linkage.nicknames import nickname_label, nickname_table
from transforms.linkage.settings import LinkageSettings
from transforms.row_hash import row_hashes
from transforms.settings.errors import SettingsError
from transforms.standardize.names import abjad_skeleton, name_key, written_in_abjad
from transforms.standardize.phones import national_key
from transforms.standardize.text import ascii_fold
from transforms.standardize.vectorize import map_unique

#: Columns every prepared frame has besides the evidence: the record's id, its source and whether it is linked.
ID, SOURCE, LINKABLE = "_id", "_source", "_linkable"

_NON_DIGIT = re.compile(r"\D+")
_NUMBER = re.compile(r"\d+")
_WORD_SPLIT = re.compile(r"[\s\-.,;:/&+()\"«»„“”]+")


def _numbers(s: str) -> str:
    """The numbers written in a text, in order, in ASCII digits: "Flat 21, 174 Mill Lane" and "Apartment 21, 174
    Mill Lane" -> "21 174"; "ulica Lenina, d. 40, kv. 22", "Lenina Straße 40-22" and Persian "۴۰" alike."""
    return " ".join(str(int(n)) for n in _NUMBER.findall(s))


def _words(s: str) -> list[str]:
    return s.split()


_STEPS: dict[str, Callable[[str], str]] = {
    "lower": str.lower,
    "strip": str.strip,
    "alnum": ascii_fold,
    "letters": lambda s: ascii_fold(s, sep="", digits=False),
    "digits": lambda s: _NON_DIGIT.sub("", s),
    "numbers": _numbers,
    "first_word": lambda s: _words(s)[0] if _words(s) else "",
    "last_word": lambda s: _words(s)[-1] if _words(s) else "",
    "name_key": name_key,
    # The value itself when written in a script without short vowels (comparisons' abjad_column), else nothing.
    "abjad_script": lambda s: s if written_in_abjad(s) else "",
    "abjad_skeleton": abjad_skeleton,
    "metaphone": lambda s: jellyfish.metaphone(s) if s else "",
    "soundex": lambda s: jellyfish.soundex(s) if s else "",
    "initial": lambda s: s[:1].lower(),
    "sorted_words": lambda s: " ".join(sorted(_words(s))),
    # Each word's name key, for a business name's words to meet a surname key ("FHU Kowalczyk" -> "fhu kovalchik").
    "word_keys": lambda s: " ".join(dict.fromkeys(k for k in map(name_key, _WORD_SPLIT.split(s)) if k)),
    "iso_date": lambda s: s[:10],
    # A phone's national number (its last nine digits) from its E.164 or, when none could be had, as written.
    "phone_national": lambda s: national_key(s) or "",
    "year": lambda s: s[:4],
}


def _step(name: str) -> Callable[[str], str]:
    if name.startswith("prefix:"):
        n = int(name.split(":", 1)[1])
        return lambda s: s[:n]
    if name.startswith("suffix:"):
        n = int(name.split(":", 1)[1])
        return lambda s: s[-n:]
    return _STEPS[name]


def as_text(values: pd.Series, *, processes: int = 1) -> pd.Series:
    """A column as text (object dtype, None where missing): dates as YYYY-MM-DD, whole numbers without '.0'.
    ``processes``: as ``map_unique``'s."""
    if pd.api.types.is_datetime64_any_dtype(values):
        out = values.dt.strftime("%Y-%m-%d")
    elif pd.api.types.is_float_dtype(values):
        whole = values.notna() & (values == values.round())
        out = values.astype(object).where(~whole, values.round().astype("Int64").astype(str))
        out = out.map(lambda v: None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v))
    elif pd.api.types.infer_dtype(values, skipna=True) == "string":
        out = map_unique(values, _cell_text, processes=processes)  # texts repeat: strip each distinct one once
    else:
        out = values.map(_cell_text)
    text = out.astype(object).where(out.notna(), None)
    result: pd.Series = text.map(lambda v: v if v is None or v.strip() else None)
    return result


def _cell_text(v: object) -> str | None:
    if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and np.isnan(v)):
        return None
    if hasattr(v, "isoformat"):
        return str(v.isoformat())[:10]
    return str(v).strip()


def _chain(steps: list[str]) -> Callable[[object], str | None]:
    funcs = [_step(s) for s in steps]

    def apply(v: object) -> str | None:
        if v is None:
            return None
        s = str(v)
        for f in funcs:
            s = f(s)
            if not s:
                return None
        return s

    return apply


def _check_columns(records: pd.DataFrame, settings: LinkageSettings) -> None:
    missing = [c for c in settings.input_columns if c not in records.columns]
    if missing:
        raise SettingsError(f"linkage settings: the records have no column {', '.join(map(repr, missing))}")


def prepare_records(records: pd.DataFrame, settings: LinkageSettings, *, processes: int = 1) -> pd.DataFrame:
    """The evidence columns as text, the derived keys, and ``_id``, ``_source``, ``_linkable``; index 0..n-1.

    ``processes``: how many processes work out the keys of a column with many distinct values (``map_unique``);
    the nightly linkage uses every core, as preparing three million records was a tenth of its night."""
    _check_columns(records, settings)
    text = partial(as_text, processes=processes)
    src = records.reset_index(drop=True)
    out = pd.DataFrame(index=src.index)
    out[ID] = src[settings.id_column].astype(str).to_numpy()
    out[SOURCE] = text(src[settings.source_column]).fillna("") if settings.source_column else ""
    for col in settings.input_columns:
        if col in (settings.id_column,) or col in out.columns:
            continue
        out[col] = text(src[col]) if not pd.api.types.is_bool_dtype(src[col]) else src[col]
    table = nickname_table(tuple(tuple(g) for g in settings.nicknames))
    for name, spec in settings.derived.items():
        sources = [out[c] if c in out.columns else text(src[c]) for c in spec.source]
        if spec.steps == ["nicknames"]:
            keys = pd.Series(list(zip(*[s.to_numpy() for s in sources], strict=True)), index=out.index)
            value = map_unique(keys, lambda t: nickname_label(t, table), processes=processes)
        else:
            joined = sources[0]
            for extra in sources[1:]:
                both = joined.notna() & extra.notna()
                joined = joined.where(~both, joined.fillna("") + " " + extra.fillna("")).fillna(extra)
            value = map_unique(joined, _chain([s for s in spec.steps if s != "nicknames"]), processes=processes)
        if spec.only_if:
            flag = src[spec.only_if]
            failed = (flag.astype("boolean") == False).fillna(False).to_numpy(dtype=bool)  # noqa: E712
            value = value.astype(object).mask(pd.Series(failed, index=value.index))
        values = value.to_numpy(dtype=object).copy()
        values[pd.isna(values)] = None
        out[name] = values
    out[LINKABLE] = _linkable(out, settings)
    return out


def linkage_keys(records: pd.DataFrame, settings: LinkageSettings) -> np.ndarray:
    """Each record's linkage inputs (the columns ``settings.input_columns`` names but its id) as one 64-bit hash.
    Preparing is row by row, so under the same settings records with equal keys are prepared alike and compare alike
    with any other: an incremental night prepares and compares again only the records whose key changed."""
    cols = [c for c in settings.input_columns if c != settings.id_column]
    return row_hashes({c: records[c].reset_index(drop=True) for c in cols})


def _linkable(out: pd.DataFrame, settings: LinkageSettings) -> pd.Series:
    """A name and one piece of evidence; with no rule given, every record is linked."""
    rule = settings.identifiable
    ok = pd.Series(True, index=out.index)
    if rule.names:
        ok &= out[rule.names].notna().any(axis=1)
    if rule.evidence:
        ok &= out[rule.evidence].notna().any(axis=1)
    return ok
