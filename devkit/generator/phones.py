"""Phone numbers: valid mobiles per country, and every way a human or an export writes them down.

Numbers are kept as (country index, national significant number) integers so a million of them cost a
few megabytes. Formatting is per written row: ``+48 601 234 567``, ``(0048) 601234567``, ``8 (912)
345-67-89``, a number cell that lost its ``+`` or leading zero, ``601234567.0`` from a float column,
Persian digits. National forms are only used when the number belongs to the source's own phone region,
the way people actually write foreign numbers with their country code.
"""

from __future__ import annotations

import random

import numpy as np

from devkit.generator.pools import places

CALLING_CODE: tuple[int, ...] = (48, 7, 1, 98, 86)  # PL, RU, US, IR, CN (index = COUNTRIES index)
NATIONAL_LENGTH: tuple[int, ...] = (9, 10, 10, 10, 11)
PL, RU, US, IR, CN = range(5)

# fmt: off
_MOBILE_PREFIXES: dict[int, np.ndarray] = {
    PL: np.asarray(
        [*range(500, 520), *range(530, 540), *range(570, 580), *range(600, 610), *range(660, 670),
         *range(690, 700), *range(720, 740), *range(780, 800), *range(880, 890)]
    ),
    RU: np.arange(900, 1000),
    IR: np.asarray([*range(901, 906), *range(910, 920), 920, 921, 922, *range(930, 940), *range(990, 995)]),
    CN: np.asarray([*range(130, 140), 145, 147, *range(150, 160), *range(170, 174), *range(175, 179),
                    *range(180, 190), *range(190, 194), *range(195, 200)]),
}

#: Styles that write the number correctly (only the format differs).
OK_STYLES: tuple[str, ...] = (
    "e164", "intl_spaced", "intl_00", "intl_00_paren", "intl_digits", "national_spaced", "national_dashed",
    "national_digits", "national_alt", "tel_prefix",
)
# fmt: on
NATIONAL_STYLES = frozenset({"national_spaced", "national_dashed", "national_digits", "national_alt", "tel_prefix"})
_PERSIAN_DIGITS = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")


def persian_digits(text: str) -> str:
    """Write ASCII digits as Persian ones, as a Persian keyboard does."""
    return text.translate(_PERSIAN_DIGITS)


def _us_area_codes(city_idx: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    pl = places()
    all_codes = sorted({int(a) for codes in pl.area_codes for a in codes})
    out = rng.choice(np.asarray(all_codes), size=len(city_idx))
    for i, c in enumerate(city_idx.tolist()):
        codes = pl.area_codes[c] if c >= 0 else ()
        if codes:
            out[i] = int(codes[rng.integers(len(codes))])
    return out


def generate_numbers(rng: np.random.Generator, country: np.ndarray, city: np.ndarray) -> np.ndarray:
    """National significant numbers (int64) of valid mobiles for each country index; US ones match the city."""
    n = len(country)
    out = np.zeros(n, dtype=np.int64)
    for ci in range(5):
        idx = np.flatnonzero(country == ci)
        if not len(idx):
            continue
        length = NATIONAL_LENGTH[ci]
        if ci == US:
            area = _us_area_codes(city[idx], rng).astype(np.int64)
            exchange = rng.integers(200, 1000, size=len(idx))
            bad = (exchange % 100 == 11) | (exchange == 555)
            exchange[bad] += 1
            out[idx] = area * 10**7 + exchange * 10**4 + rng.integers(0, 10**4, size=len(idx))
        else:
            prefix = rng.choice(_MOBILE_PREFIXES[ci], size=len(idx)).astype(np.int64)
            out[idx] = prefix * 10 ** (length - 3) + rng.integers(0, 10 ** (length - 3), size=len(idx))
    return out


def e164(country: int, nsn: int) -> str:
    """The canonical form, ``+48601234567``."""
    return f"+{CALLING_CODE[country]}{nsn}"


def _groups(country: int, d: str) -> list[str]:
    if country == PL:
        return [d[:3], d[3:6], d[6:]]
    if country == CN:
        return [d[:3], d[3:7], d[7:]]
    return [d[:3], d[3:6], d[6:]]  # RU, US, IR: 3-3-4 (RU splits the last four in two)


def _national(country: int, d: str, style: str) -> str:
    g = _groups(country, d)
    if country == RU:
        last = f"{g[2][:2]}-{g[2][2:]}"
        return {
            "national_spaced": f"8 ({g[0]}) {g[1]}-{last}",
            "national_dashed": f"8-{g[0]}-{g[1]}-{last}",
            "national_digits": f"8{d}",
            "national_alt": f"+7({g[0]}){g[1]}{g[2]}",
        }[style]
    if country == US:
        return {
            "national_spaced": f"({g[0]}) {g[1]}-{g[2]}",
            "national_dashed": f"{g[0]}-{g[1]}-{g[2]}",
            "national_digits": d,
            "national_alt": f"{g[0]}.{g[1]}.{g[2]}",
        }[style]
    trunk = "0" if country == IR else ""
    return {
        "national_spaced": trunk + " ".join(g),
        "national_dashed": trunk + "-".join(g),
        "national_digits": trunk + d,
        "national_alt": " ".join(g)
        if country == IR
        else f"{d[:3]} {d[3:5]} {d[5:7]} {d[7:]}"
        if country == PL
        else "-".join(g),
    }[style]


_TEL_PREFIX = {PL: "tel. ", RU: "тел. ", US: "Tel: ", IR: "تلفن: ", CN: "电话："}


def format_phone(country: int, nsn: int, style: str, region: int) -> str:
    """The number written in ``style``; national styles fall back to ``+CC ...`` for a foreign number."""
    d = str(nsn)
    cc = CALLING_CODE[country]
    if style in NATIONAL_STYLES and country != region:
        style = "intl_spaced"
    grouped = " ".join(_groups(country, d))
    international = {
        "e164": f"+{cc}{d}",
        "intl_spaced": f"+{cc} {grouped}",
        "intl_00": f"00{cc} {grouped}",
        "intl_00_paren": f"(00{cc}) {d}",
        "intl_digits": f"{cc}{d}",
    }
    if style in international:
        return international[style]
    if style == "tel_prefix":
        return _TEL_PREFIX[country] + _national(country, d, "national_spaced")
    return _national(country, d, style)


def number_cell(country: int, nsn: int, region: int, rng: random.Random) -> int:
    """A phone typed into a number cell: the ``+`` and any leading zero are gone (Iran: 9123456789)."""
    if country != region:
        return int(f"{CALLING_CODE[country]}{nsn}")
    if country == RU and rng.random() < 0.6:
        return int(f"8{nsn}")
    if rng.random() < 0.15:
        return int(f"{CALLING_CODE[country]}{nsn}")
    return nsn


def corrupt_phone(country: int, nsn: int, rng: random.Random) -> str:
    """A phone that no normalizer can recover: a digit dropped or added, a letter typed, or cut short."""
    d = str(nsn)
    kind = rng.randrange(4)
    if kind == 0:
        i = rng.randrange(len(d))
        d = d[:i] + d[i + 1 :]
    elif kind == 1:
        i = rng.randrange(1, len(d) + 1)
        d = d[:i] + str(rng.randrange(10)) + d[i:]
    elif kind == 2:
        i = rng.randrange(1, len(d))
        d = d[:i] + rng.choice("OlIS") + d[i + 1 :]
    else:
        d = d[: rng.randrange(4, 7)]
    return " ".join(d[i : i + 3] for i in range(0, len(d), 3))
