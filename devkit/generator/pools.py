"""Name, place and vocabulary pools loaded from ``data/``: the raw material every person is drawn from.

Pools are arrays so a million people are drawn by fancy indexing, not by looping. Names are drawn with
Zipf-like weights (the first names in each file are the common ones), which is what makes look-alike
collisions - two different Jan Nowaks - happen at realistic rates.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import numpy as np
import yaml
from anyascii import anyascii

from devkit.generator.config import COUNTRIES, CULTURES
from devkit.generator.translit import transliterate

_ZIPF_EXPONENT = 0.85


def _read_text(name: str) -> str:
    return resources.files("devkit.generator").joinpath(f"data/{name}").read_text("utf-8")


def _read_csv(name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(_read_text(name))))


def _zipf(n: int) -> np.ndarray:
    w = 1.0 / (np.arange(n) + 3.0) ** _ZIPF_EXPONENT
    return np.asarray(w / w.sum())


def ascii_fold(text: str) -> str:
    """Lower-case ASCII for e-mail local parts: 'Małgorzata' -> 'malgorzata', "O'Brien" -> 'obrien'."""
    return "".join(ch for ch in anyascii(text).lower() if ch.isalnum())


def feminine_surname(name: str, culture: str) -> str:
    """The form a woman of this culture carries: Kowalski -> Kowalska, Иванов -> Иванова, Толстой -> Толстая."""
    if culture == "pl":
        for m, f in (("ski", "ska"), ("cki", "cka"), ("dzki", "dzka")):
            if name.endswith(m):
                return name[: -len(m)] + f
        return name
    if culture == "ru":
        if name.endswith(("ов", "ев", "ёв", "ин", "ын")):
            return name + "а"
        if name.endswith(("ский", "цкий")):
            return name[:-2] + "ая"
        if name.endswith(("ой", "ый")):
            return name[:-2] + "ая"
    return name


def _obj(values: list[Any]) -> np.ndarray:
    arr = np.empty(len(values), dtype=object)
    arr[:] = values
    return arr


@dataclass(frozen=True)
class GivenNames:
    """All given names of all cultures in one table, with the index ranges per (culture, sex)."""

    culture: np.ndarray
    sex: np.ndarray
    native: np.ndarray
    latin: np.ndarray
    latin_variants: np.ndarray  # tuples, first = canonical
    ascii: np.ndarray
    nicknames: np.ndarray  # tuples of native-script nicknames
    patronymic_m: np.ndarray
    patronymic_f: np.ndarray
    groups: dict[tuple[int, int], np.ndarray]
    weights: dict[tuple[int, int], np.ndarray]


@dataclass(frozen=True)
class Surnames:
    """All surnames; ``male``/``female`` are the native forms, ``latin_*`` the canonical Latin ones."""

    culture: np.ndarray
    male: np.ndarray
    female: np.ndarray
    latin_m: np.ndarray
    latin_f: np.ndarray
    latin_variants: np.ndarray
    ascii_m: np.ndarray
    groups: dict[int, np.ndarray]
    weights: dict[int, np.ndarray]


@dataclass(frozen=True)
class Places:
    """Cities (with postcode prefixes and, for the US, area codes) and streets per country."""

    country: np.ndarray
    city: np.ndarray
    city_latin: np.ndarray
    region: np.ndarray
    postcode_prefixes: np.ndarray  # tuples
    area_codes: np.ndarray  # tuples (US only)
    groups: dict[int, np.ndarray]
    weights: dict[int, np.ndarray]
    street_country: np.ndarray
    street: np.ndarray
    street_latin: np.ndarray
    street_groups: dict[int, np.ndarray]


def _latin_of(native: str, culture: str, given_latin: str) -> tuple[str, ...]:
    if given_latin:
        return tuple(given_latin.split("|"))
    if culture == "ru":
        return (transliterate(native, "en"),)
    return (native,)


@cache
def given_names() -> GivenNames:
    """The given-name table, loaded once."""
    rows: list[tuple[int, int, dict[str, str]]] = []
    for ci, culture in enumerate(CULTURES):
        for r in _read_csv(f"names/{culture}_given.csv"):
            rows.append((ci, 0 if r["sex"] == "M" else 1, r))
    latin = [_latin_of(r["name"], CULTURES[c], r.get("latin", "")) for c, _, r in rows]
    groups: dict[tuple[int, int], list[int]] = {}
    for i, (c, s, _) in enumerate(rows):
        groups.setdefault((c, s), []).append(i)
    garr = {k: np.asarray(v, dtype=np.int32) for k, v in groups.items()}
    return GivenNames(
        culture=np.asarray([c for c, _, _ in rows], dtype=np.int8),
        sex=np.asarray([s for _, s, _ in rows], dtype=np.int8),
        native=_obj([r["name"] for _, _, r in rows]),
        latin=_obj([v[0] for v in latin]),
        latin_variants=_obj(latin),
        ascii=_obj([ascii_fold(v[0]) for v in latin]),
        nicknames=_obj([tuple(n for n in (r.get("nicknames") or "").split("|") if n) for _, _, r in rows]),
        patronymic_m=_obj([r.get("patronymic_m") or "" for _, _, r in rows]),
        patronymic_f=_obj([r.get("patronymic_f") or "" for _, _, r in rows]),
        groups=garr,
        weights={k: _zipf(len(v)) for k, v in garr.items()},
    )


@cache
def surnames() -> Surnames:
    """The surname table, loaded once; feminine and Latin forms are derived where the file leaves them out."""
    cult: list[int] = []
    male: list[str] = []
    female: list[str] = []
    variants: list[tuple[str, ...]] = []
    for ci, culture in enumerate(CULTURES):
        for r in _read_csv(f"names/{culture}_surnames.csv"):
            cult.append(ci)
            male.append(r["name"])
            female.append(r.get("female") or feminine_surname(r["name"], culture))
            variants.append(_latin_of(r["name"], culture, r.get("latin", "")))
    latin_f = [
        transliterate(f, "en") if CULTURES[c] == "ru" else (v[0] if CULTURES[c] in ("fa", "zh") else f)
        for c, f, v in zip(cult, female, variants, strict=True)
    ]
    carr = np.asarray(cult, dtype=np.int8)
    groups = {ci: np.flatnonzero(carr == ci).astype(np.int32) for ci in range(len(CULTURES))}
    return Surnames(
        culture=carr,
        male=_obj(male),
        female=_obj(female),
        latin_m=_obj([v[0] for v in variants]),
        latin_f=_obj(latin_f),
        latin_variants=_obj(variants),
        ascii_m=_obj([ascii_fold(v[0]) for v in variants]),
        groups=groups,
        weights={k: _zipf(len(v)) for k, v in groups.items()},
    )


@cache
def places() -> Places:
    """Cities and streets, loaded once."""
    rows = _read_csv("places.csv")
    country = np.asarray([COUNTRIES.index(r["country"]) for r in rows], dtype=np.int8)
    weight = np.asarray([float(r["weight"]) for r in rows])
    groups = {ci: np.flatnonzero(country == ci).astype(np.int32) for ci in range(len(COUNTRIES))}
    streets = _read_csv("streets.csv")
    scountry = np.asarray([COUNTRIES.index(r["country"]) for r in streets], dtype=np.int8)
    return Places(
        country=country,
        city=_obj([r["city"] for r in rows]),
        city_latin=_obj([r["city_latin"] for r in rows]),
        region=_obj([r["region"] for r in rows]),
        postcode_prefixes=_obj([tuple(r["postcode_prefixes"].split("|")) for r in rows]),
        area_codes=_obj([tuple(a for a in r["area_codes"].split("|") if a) for r in rows]),
        groups=groups,
        weights={k: weight[v] / weight[v].sum() for k, v in groups.items()},
        street_country=scountry,
        street=_obj([r["street"] for r in streets]),
        street_latin=_obj([r["street_latin"] for r in streets]),
        street_groups={ci: np.flatnonzero(scountry == ci).astype(np.int32) for ci in range(len(COUNTRIES))},
    )


@cache
def vocab() -> dict[str, Any]:
    """Language-specific words (sentinels, channels, brands, reliability notes ...) from ``data/vocab.yml``."""
    data: dict[str, Any] = yaml.safe_load(_read_text("vocab.yml"))
    return data
