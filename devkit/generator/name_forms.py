"""How a person's name is written in one row: script, transliteration, nickname, typo, order, case.

The same Aleksandr Kuznetsov is ``Кузнецов Александр Петрович`` in the Russian manager's sheet,
``Kuzniecow Aleksandr`` in the Polish one and ``Sasha Kuznetsoff`` in accounting. Each source has a
``NamePolicy``; every transformation is listed in the row's ``name_variant`` and the ones that corrupt
the name (typo, swapped columns, missing) are defects.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from anyascii import anyascii

from devkit.generator.config import GenerationSettings
from devkit.generator.mess import typo, weighted
from devkit.generator.person_rows import PersonRows
from devkit.generator.pools import given_names, surnames
from devkit.generator.translit import transliterate

PL_C, RU_C, EN_C, FA_C, ZH_C = range(5)
_POLISH = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


@dataclass(frozen=True)
class NamePolicy:
    """How one source writes names."""

    native: tuple[float, float, float, float, float] = (1.0, 1.0, 1.0, 0.0, 0.0)  # per culture
    ru_schemes: tuple[tuple[str, float], ...] = (("en", 1.0),)
    fold_diacritics: float = 0.0
    upper_surname: float = 0.0
    layout: str = "split"  # split: given/surname columns; full: one column
    full_orders: tuple[tuple[str, float], ...] = (("GS", 1.0),)
    patronymic: bool = False  # the source has a patronymic column (split) or writes it (full)
    pinyin_suffix: float = 0.0  # Chinese written as 王伟 (Wang Wei)
    yo_as_e: float = 0.5  # Cyrillic ё typed as е


@dataclass
class NameOut:
    """The name cells of one row and what was done to them."""

    given: str | None = None
    surname: str | None = None
    patronymic: str | None = None
    full: str | None = None
    variant: list[str] = field(default_factory=list)
    defects: list[tuple[str, str, str]] = field(default_factory=list)


def _latin_variant(variants: tuple[str, ...], rng: random.Random, canonical: float) -> str:
    if len(variants) == 1 or rng.random() < canonical:
        return variants[0]
    return rng.choice(variants[1:])


def render_name(p: PersonRows, k: int, policy: NamePolicy, rng: random.Random, s: GenerationSettings) -> NameOut:
    """The name of row ``k`` as the source with ``policy`` writes it."""
    gn, sn = given_names(), surnames()
    out = NameOut()
    tags = out.variant
    c = p.culture[k]
    native = rng.random() < policy.native[c]
    g_idx = p.given_idx[k]
    given = p.given_native[k]
    nick = gn.nicknames[g_idx]
    if nick and rng.random() < s.nickname_rate:
        given = rng.choice(nick)
        tags.append("nickname")
    surname = p.surname_native[k]
    patr = p.patronymic_native[k]
    if not p.is_current[k]:
        tags.append("outdated")
    if c == RU_C:
        if rng.random() < policy.yo_as_e and "ё" in (given + surname + patr).lower():
            given, surname, patr = (x.replace("ё", "е").replace("Ё", "Е") for x in (given, surname, patr))
            tags.append("yo_as_e")
        if not native:
            scheme = weighted(rng, policy.ru_schemes)
            given, surname, patr = (transliterate(x, scheme) for x in (given, surname, patr))
            tags.append(f"latin_{scheme}")
    elif c in (FA_C, ZH_C) and not native:
        if given == p.given_native[k]:
            given = _latin_variant(gn.latin_variants[g_idx], rng, 0.65)
        surname = _latin_variant(sn.latin_variants[p.surname_idx[k]], rng, 0.75)
        tags.append("latin")
    if policy.fold_diacritics and c == PL_C and rng.random() < policy.fold_diacritics:
        folded = (given.translate(_POLISH), surname.translate(_POLISH))
        if folded != (given, surname):
            given, surname = folded
            tags.append("folded")
    if rng.random() < s.typo_rate and c != ZH_C:
        if rng.random() < 0.7:
            surname = typo(surname, rng)
            out.defects.append(("surname", "typo", surname))
        else:
            given = typo(given, rng)
            out.defects.append(("given_name", "typo", given))
    if policy.upper_surname and rng.random() < policy.upper_surname:
        surname = surname.upper()
        tags.append("upper")
    if policy.layout == "split":
        if rng.random() < s.swap_names_rate:
            given, surname = surname, given
            out.defects.append(("given_name", "swapped_names", given))
            tags.append("swapped")
        if rng.random() < s.missing_rate / 2:
            out.defects.append(("given_name", "missing", ""))
            given = ""
        out.given, out.surname = given or None, surname
        out.patronymic = (patr or None) if policy.patronymic else None
        return out
    pinyin = None
    if c == ZH_C and native:
        pinyin = f"{surnames().latin_m[p.surname_idx[k]]} {given_names().latin[p.given_idx[k]]}"
    out.full = _full((given, surname, patr), policy, rng, tags, han_pinyin=pinyin)
    return out


def _full(
    names: tuple[str, str, str], policy: NamePolicy, rng: random.Random, tags: list[str], *, han_pinyin: str | None
) -> str:
    """One full-name cell; Han names are written surname-first without a space, sometimes with pinyin."""
    given, surname, patr = names
    if han_pinyin is not None:
        han = surname + given
        if policy.pinyin_suffix and rng.random() < policy.pinyin_suffix:
            tags.append("pinyin_suffix")
            return f"{han} ({han_pinyin})"
        return han
    order = weighted(rng, policy.full_orders)
    tags.append(f"order_{order}")
    with_patr = policy.patronymic and bool(patr)
    if order == "SG":
        return f"{surname} {given} {patr}" if with_patr else f"{surname} {given}"
    if order == "S_INITIALS":
        initials = f"{given[:1]}." + (f"{patr[:1]}." if with_patr else "")
        return f"{surname.upper()} {initials}"
    if order == "GS_UPPER":
        return f"{given} {surname.upper()}"
    return f"{given} {patr} {surname}" if with_patr else f"{given} {surname}"


def fold_for_cp1251(text: str) -> str:
    """Characters cp1251 cannot hold (ł, ś, Persian, Han) replaced by their closest ASCII."""
    try:
        text.encode("cp1251")
        return text
    except UnicodeEncodeError:
        return "".join(ch if _cp1251(ch) else anyascii(ch) for ch in text)


def _cp1251(ch: str) -> bool:
    try:
        ch.encode("cp1251")
        return True
    except UnicodeEncodeError:
        return False
