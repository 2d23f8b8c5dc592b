"""Field-level mess: how one true value (phone, e-mail, date of birth, any text) ends up written.

Every function returns a ``Written``: the cell value, whether the true value survived (``ok``: only the
format differs) and the planted defect, if any. The writers never decide correctness themselves, so the
truth cannot drift from what was actually written.
"""

from __future__ import annotations

import calendar
import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from devkit.generator import phones
from devkit.generator.config import GenerationSettings
from devkit.generator.pools import vocab

_MONTHS_EN = tuple(calendar.month_name)


@dataclass(slots=True)
class Written:
    """A value as written, whether it still carries the truth, and the defect planted in it."""

    value: Any
    ok: bool | None  # None: there was no true value to write
    defect: str | None = None


def weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    """Pick one option by weight."""
    total = sum(w for _, w in options)
    u = rng.random() * total
    for name, w in options:
        u -= w
        if u < 0:
            return name
    return options[-1][0]


def typo(text: str, rng: random.Random) -> str:
    """One keyboard slip: two letters swapped, one dropped or one doubled (never a no-op)."""
    if len(text) < 4:
        return text + text[-1:]
    i = rng.randrange(1, len(text) - 1)
    kind = rng.randrange(3)
    if kind == 0 and text[i] != text[i + 1]:
        return text[:i] + text[i + 1] + text[i] + text[i + 2 :]
    if kind == 2:
        return text[: i + 1] + text[i:]
    return text[:i] + text[i + 1 :]


_DATE_FORMATS: dict[str, Callable[[int, int, int], str]] = {
    "dmy_dot": lambda y, m, d: f"{d:02d}.{m:02d}.{y:04d}",
    "dmy_dot_short": lambda y, m, d: f"{d}.{m}.{y:04d}",
    "dmy_dash": lambda y, m, d: f"{d:02d}-{m:02d}-{y:04d}",
    "mdy_slash": lambda y, m, d: f"{m}/{d}/{y:04d}",
    "mdy_slash_pad": lambda y, m, d: f"{m:02d}/{d:02d}/{y:04d}",
    "mdy_long": lambda y, m, d: f"{_MONTHS_EN[m] if 1 <= m <= 12 else f'Month{m}'} {d}, {y:04d}",
    "ymd_slash": lambda y, m, d: f"{y:04d}/{m:02d}/{d:02d}",
    "iso": lambda y, m, d: f"{y:04d}-{m:02d}-{d:02d}",
    "compact": lambda y, m, d: f"{y:04d}{m:02d}{d:02d}",
    "zh": lambda y, m, d: f"{y}年{m}月{d}日",
}


def format_date(y: int, m: int, d: int, fmt: str) -> str:
    """Date parts as text in a named format; the parts need not form a real date (impossible DOBs)."""
    try:
        return _DATE_FORMATS[fmt](y, m, d)
    except KeyError:
        raise ValueError(f"unknown date format {fmt!r}") from None


def date_value(d: dt.date, fmt: str, fallback: str) -> Any:
    """A real date written in ``fmt`` ('excel' keeps a date object for a date-typed cell)."""
    if fmt == "excel":
        return d if d.year >= 1900 else format_date(d.year, d.month, d.day, fallback)
    return format_date(d.year, d.month, d.day, fmt)


class Forced:
    """Makes each rare defect kind appear at least once per file, at a seeded position.

    At realistic rates (a few per thousand) a small test file would often hold none; forcing the first
    one keeps every kind of mess present at any size without changing the rates.
    """

    def __init__(self, rng: random.Random, rows: int, rates: dict[str, float]):
        span = max(1, min(rows, 200))
        self.at = {kind: rng.randrange(span) for kind in rates}
        # A kind switched off in the settings (rate 0) is never forced.
        self.done = {kind: rate <= 0 for kind, rate in rates.items()}

    def hit(self, kind: str, position: int, drawn: bool) -> bool:
        """Whether to plant ``kind`` at ``position``: the random draw, or the forced first one."""
        if drawn or (not self.done[kind] and position >= self.at[kind]):
            self.done[kind] = True
            return True
        return False


class FieldMess:
    """Per-source mess for single fields, drawing from one reproducible ``random.Random``."""

    def __init__(self, rng: random.Random, settings: GenerationSettings, lang: str, region: int, as_of: dt.date):
        self.rng = rng
        self.s = settings
        self.lang = lang
        self.region = region
        self.as_of = as_of
        v = vocab()
        self.sentinels: list[str] = v["sentinels"][lang]
        self.phone_sentinels: list[str] = v["phone_sentinels"]

    def absent(self, scale: float = 1.0) -> Written | None:
        """Maybe drop the value (missing) or type an 'unavailable' marker (sentinel) instead of it."""
        u = self.rng.random()
        if u < self.s.missing_rate * scale:
            return Written(None, False, "missing")
        if u < (self.s.missing_rate + self.s.sentinel_rate) * scale:
            return Written(self.rng.choice(self.sentinels), False, "sentinel")
        return None

    def text(self, value: str | None, scale: float = 1.0) -> Written:
        """A plain text field (city, street ...): as is, missing or a sentinel."""
        if not value:
            return Written(None, None)
        gone = self.absent(scale)
        return gone if gone is not None else Written(value, True)

    def phone(
        self,
        cc: int,
        nsn: int,
        styles: tuple[tuple[str, float], ...],
        *,
        number_cell: float = 0.0,
        float_text: float = 0.0,
        persian: float = 0.0,
        scale: float = 1.0,
    ) -> Written:
        """A phone in one of ``styles``, as a number cell, as float text, corrupted, missing or a sentinel."""
        r = self.rng
        gone = self.absent(scale)
        if gone is not None:
            if gone.defect == "sentinel" and r.random() < 0.4:
                gone.value = r.choice(self.phone_sentinels)
            return gone
        if r.random() < self.s.bad_phone_rate:
            return Written(phones.corrupt_phone(cc, nsn, r), False, "bad_phone")
        u = r.random()
        if u < number_cell:
            return Written(phones.number_cell(cc, nsn, self.region, r), True)
        if u < number_cell + float_text:
            return Written(f"{phones.number_cell(cc, nsn, self.region, r)}.0", True)
        text = phones.format_phone(cc, nsn, weighted(r, styles), self.region)
        if persian and r.random() < persian:
            text = phones.persian_digits(text)
        return Written(text, True)

    def email(self, email: str | None, scale: float = 1.0) -> Written:
        """An e-mail as typed: case and spacing vary harmlessly; some are broken beyond repair."""
        r = self.rng
        if email is None:
            if r.random() < self.s.sentinel_rate:
                return Written(r.choice(self.sentinels), None, "sentinel")
            return Written(None, None)
        gone = self.absent(scale)
        if gone is not None:
            return gone
        if r.random() < self.s.bad_email_rate:
            return Written(_break_email(email, r), False, "bad_email")
        return Written(_harmless_email_variant(email, r.random()), True)

    def dob(
        self,
        d: dt.date | None,
        formats: tuple[tuple[str, float], ...],
        *,
        fallback: str,
        persian: float = 0.0,
        scale: float = 1.0,
    ) -> Written:
        """A date of birth: formatted per source, or missing, a sentinel, impossible, or day/month swapped."""
        r = self.rng
        if d is None:
            return Written(None, None)
        gone = self.absent(scale)
        if gone is not None:
            return gone
        fmt = weighted(r, formats)
        text_fmt = fallback if fmt == "excel" else fmt
        u = r.random()
        s = self.s
        if u < s.dob_sentinel_rate:
            return Written(date_value(dt.date(1900, 1, 1), fmt, fallback), False, "sentinel")
        u -= s.dob_sentinel_rate
        if u < s.impossible_dob_rate:
            y, m, day = self._impossible(d)
            try:
                value: Any = date_value(dt.date(y, m, day), fmt, fallback)
            except ValueError:
                value = format_date(y, m, day, text_fmt)
            return Written(self._digits(value, persian), False, "impossible_dob")
        u -= s.impossible_dob_rate
        if u < s.swapped_dob_rate and d.day <= 12 and d.day != d.month:
            return Written(self._digits(format_date(d.year, d.day, d.month, text_fmt), persian), False, "swapped_dob")
        return Written(self._digits(date_value(d, fmt, fallback), persian), True)

    def _digits(self, value: Any, persian: float) -> Any:
        if persian and isinstance(value, str) and self.rng.random() < persian:
            return phones.persian_digits(value)
        return value

    def _impossible(self, d: dt.date) -> tuple[int, int, int]:
        kind = self.rng.randrange(5)
        if kind == 0:
            return d.year, self.rng.choice((4, 6, 9, 11)), 31
        if kind == 1:
            return d.year, 2, self.rng.choice((30, 31))
        if kind == 2:
            return d.year, self.rng.randrange(13, 20), min(d.day, 28)
        if kind == 3:
            return self.as_of.year + self.rng.randrange(1, 30), d.month, d.day
        return self.rng.randrange(1800, 1880), d.month, d.day


def _harmless_email_variant(email: str, u: float) -> str:
    """Case, padding and a mailto: prefix: differences any normalizer undoes."""
    if u < 0.06:
        return email.upper()
    if u < 0.12:
        local, dom = email.split("@", 1)
        return local[:1].upper() + local[1:] + "@" + dom.capitalize()
    if u < 0.17:
        return f" {email} "
    if u < 0.19:
        return f"mailto:{email}"
    return email


def _break_email(email: str, r: random.Random) -> str:
    local, dom = email.split("@", 1)
    kind = r.randrange(6)
    if kind == 0:
        return f"{local}{dom}" if r.random() < 0.5 else f"{local} {dom}"
    if kind == 1:
        return f"{local}@@{dom}"
    if kind == 2:
        return f"{local}@{dom.rsplit('.', 1)[0]}"
    if kind == 3:
        return f"{local}@{dom.replace('.', ',')}"
    if kind == 4:
        cut = max(1, len(local) // 2)
        return f"{local[:cut]} {local[cut:]}@{dom}"
    return f"{local}@{dom}.."
