"""Tax identifiers with real checksums (Polish NIP, Russian INN, German/Dutch/Czech VAT) and typos that break them.

Accounting exports are where tax ids live; a linker can trust a checksum-valid NIP far more than a name,
so the sample plants both valid ids and ids with one digit mistyped (recorded as ``bad_tax_id``).
"""

from __future__ import annotations

import random

_NIP_W = (6, 5, 7, 2, 3, 4, 5, 6, 7)
_INN10_W = (2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W1 = (7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_INN12_W2 = (3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8)
_CZ_W = (8, 7, 6, 5, 4, 3, 2)
_NL_W = (9, 8, 7, 6, 5, 4, 3, 2)


def _digits(rng: random.Random, n: int, first_nonzero: bool = True) -> list[int]:
    d = [rng.randrange(10) for _ in range(n)]
    if first_nonzero and d[0] == 0:
        d[0] = rng.randrange(1, 10)
    return d


def _wsum(d: list[int], w: tuple[int, ...]) -> int:
    return sum(a * b for a, b in zip(d, w, strict=False))


def nip_valid(text: str) -> bool:
    """True if ``text`` (any punctuation, optional PL prefix) is a checksum-valid Polish NIP."""
    d = [int(c) for c in text if c.isdigit()]
    return len(d) == 10 and _wsum(d, _NIP_W) % 11 == d[9]


def inn_valid(text: str) -> bool:
    """True if ``text`` is a checksum-valid 10- or 12-digit Russian INN."""
    d = [int(c) for c in text if c.isdigit()]
    if len(d) == 10:
        return _wsum(d, _INN10_W) % 11 % 10 == d[9]
    if len(d) == 12:
        return _wsum(d, _INN12_W1) % 11 % 10 == d[10] and _wsum(d, _INN12_W2) % 11 % 10 == d[11]
    return False


def _de_check(d: list[int]) -> int:
    product = 10
    for x in d:
        s = (x + product) % 10 or 10
        product = (2 * s) % 11
    return (11 - product) % 10


def new_nip(rng: random.Random) -> str:
    """A valid NIP as ten digits."""
    while True:
        d = _digits(rng, 9)
        c = _wsum(d, _NIP_W) % 11
        if c != 10:
            return "".join(map(str, [*d, c]))


def new_inn(rng: random.Random, *, person: bool) -> str:
    """A valid INN: 12 digits for a person (ИП), 10 for a company."""
    if person:
        d = _digits(rng, 10)
        d.append(_wsum(d, _INN12_W1) % 11 % 10)
        d.append(_wsum(d, _INN12_W2) % 11 % 10)
    else:
        d = _digits(rng, 9)
        d.append(_wsum(d, _INN10_W) % 11 % 10)
    return "".join(map(str, d))


def new_eu_vat(rng: random.Random) -> str:
    """A valid EU VAT number from Germany, the Netherlands or Czechia."""
    kind = rng.randrange(3)
    if kind == 0:
        d = _digits(rng, 8)
        return "DE" + "".join(map(str, [*d, _de_check(d)]))
    if kind == 1:
        while True:
            d = _digits(rng, 8)
            c = _wsum(d, _NL_W) % 11
            if c < 10:
                return "NL" + "".join(map(str, [*d, c])) + "B01"
    d = _digits(rng, 7)
    r = 11 - _wsum(d, _CZ_W) % 11
    c = {10: 0, 11: 1}.get(r, r)
    return "CZ" + "".join(map(str, [*d, c]))


def new_ein(rng: random.Random) -> str:
    """A US employer identification number (no checksum): ``12-3456789``."""
    return f"{rng.randrange(10, 99)}-{rng.randrange(10**7):07d}"


def format_nip(nip: str, rng: random.Random) -> str:
    """A NIP as people write it: bare, dashed two ways, or with the PL prefix."""
    k = rng.random()
    if k < 0.4:
        return nip
    if k < 0.7:
        return f"{nip[:3]}-{nip[3:6]}-{nip[6:8]}-{nip[8:]}"
    if k < 0.85:
        return f"{nip[:3]}-{nip[3:5]}-{nip[5:7]}-{nip[7:]}"
    return "PL" + nip


def mistype(tax_id: str, rng: random.Random) -> str:
    """The id with one digit changed; for a NIP or an INN, one whose checksum then fails for that kind."""
    digits = "".join(c for c in tax_id if c.isdigit())
    check = nip_valid if nip_valid(digits) else inn_valid if inn_valid(digits) else None
    positions = [i for i, c in enumerate(tax_id) if c.isdigit()]
    new = tax_id
    for _ in range(50):
        i = rng.choice(positions[:-1] or positions)
        new = tax_id[:i] + str((int(tax_id[i]) + rng.randrange(1, 10)) % 10) + tax_id[i + 1 :]
        if check is None or not check(new):
            return new
    return new
