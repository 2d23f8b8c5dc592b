"""Tax identifiers with real checksums (Polish NIP, Russian INN, German/Dutch/Czech VAT) and typos that break them.

Accounting exports are where tax ids live; a linker can trust a checksum-valid NIP far more than a name,
so the sample plants both valid ids and ids with one digit mistyped (recorded as ``bad_tax_id``).
"""

from __future__ import annotations

import random

from stdnum.cz import dic
from stdnum.iso7064 import mod_11_10
from stdnum.nl import bsn
from stdnum.pl import nip
from stdnum.ru import inn

# The check digits come from python-stdnum, the library the standardizer validates with: the sample and the
# pipeline cannot disagree about what a valid id is.


def _digits(rng: random.Random, n: int, first_nonzero: bool = True) -> str:
    d = [rng.randrange(10) for _ in range(n)]
    if first_nonzero and d[0] == 0:
        d[0] = rng.randrange(1, 10)
    return "".join(map(str, d))


def nip_valid(text: str) -> bool:
    """True if ``text`` (any punctuation, optional PL prefix) is a checksum-valid Polish NIP."""
    return nip.is_valid("".join(c for c in text if c.isdigit()))


def inn_valid(text: str) -> bool:
    """True if ``text`` is a checksum-valid 10- or 12-digit Russian INN."""
    return inn.is_valid("".join(c for c in text if c.isdigit()))


def new_nip(rng: random.Random) -> str:
    """A valid NIP as ten digits."""
    while True:
        d = _digits(rng, 9)
        c = nip.checksum(d + "0")  # the check digit a NIP would need; 10 is never issued
        if c != 10:
            return d + str(c)


def new_inn(rng: random.Random, *, person: bool) -> str:
    """A valid INN: 12 digits for a person (ИП), 10 for a company."""
    if person:
        d = _digits(rng, 10)
        return d + inn.calc_personal_check_digits(d)
    d = _digits(rng, 9)
    return d + inn.calc_company_check_digit(d)


def new_eu_vat(rng: random.Random) -> str:
    """A valid EU VAT number from Germany, the Netherlands or Czechia."""
    kind = rng.randrange(3)
    if kind == 0:
        d = _digits(rng, 8)
        return "DE" + d + mod_11_10.calc_check_digit(d)
    if kind == 1:
        while True:
            d = _digits(rng, 8)
            c = bsn.checksum(d + "0")  # the Dutch VAT number's first nine digits follow the BSN check
            if c < 10:
                return "NL" + d + str(c) + "B01"
    d = _digits(rng, 7)
    return "CZ" + d + dic.calc_check_digit_legal(d)


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
