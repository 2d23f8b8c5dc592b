"""One written record of a person: every field a source asks for, messed up the way that source does it.

A ``SourceStyle`` says how a source writes things (language, phone region, phone and date formats, name
policy); ``render_record`` returns the cell values for the logical fields the source has, plus the
truth about them (was the phone/e-mail/DOB written recoverably, which defects were planted).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from devkit.generator.config import PAYMENT_CLASSES, GenerationSettings
from devkit.generator.mess import FieldMess, Written, date_value, weighted
from devkit.generator.name_forms import NamePolicy, render_name
from devkit.generator.people import brand_list
from devkit.generator.person_rows import PersonRows, city_name, street_line
from devkit.generator.pools import places, vocab
from devkit.generator.staff import EMPLOYEES

_COUNTRY_NAMES = {
    "pl": ("Polska", "Rosja", "USA", "Iran", "Chiny"),
    "en": ("Poland", "Russia", "USA", "Iran", "China"),
}


@dataclass(frozen=True)
class SourceStyle:
    """How one source writes its values."""

    lang: str
    region: int  # phone region (country index)
    names: NamePolicy
    phone_styles: tuple[tuple[str, float], ...]
    phone_number_cell: float = 0.0
    phone_float: float = 0.0
    phone_persian: float = 0.0
    dob_formats: tuple[tuple[str, float], ...] = (("dmy_dot", 1.0),)
    dob_fallback: str = "dmy_dot"
    dob_persian: float = 0.0
    dob_scale: float = 1.0  # multiplies the missing/sentinel rate of the DOB
    phone_scale: float = 1.0
    email_scale: float = 1.0
    date_format: str = "dmy_dot"  # for last_updated
    latin_address: bool = False
    attribute_fill: float = 0.5  # how often optional columns (pets, gifts ...) are filled


@dataclass
class RowOut:
    """Cells of one record by logical field, and the truth about them."""

    values: dict[str, Any]
    phone_ok: bool | None = None
    email_ok: bool | None = None
    dob_ok: bool | None = None
    defects: list[tuple[str, str, str]] = field(default_factory=list)
    variant: str = ""


def cell_text(value: Any) -> str:
    """A written value as text for the defects table."""
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, list | dict):
        return repr(value)
    return str(value)


class RecordRenderer:
    """Renders person records for one source, reproducibly from its own random stream."""

    def __init__(self, style: SourceStyle, rng: random.Random, settings: GenerationSettings, as_of: dt.date):
        self.style = style
        self.rng = rng
        self.s = settings
        self.mess = FieldMess(rng, settings, style.lang, style.region, as_of)
        self.brands = brand_list()
        self.v = vocab()
        self._handlers: dict[str, Callable[[PersonRows, int, dt.date], Any]] = {
            "country": self._country,
            "last_updated": self._last_updated,
            "sex": self._sex,
            "channel": self._channel,
            "notes": self._notes,
            "reliability_note": lambda p, k, _: self._reliability(p.pay_class[k]),
            "company": lambda p, k, _: p.company_name[k] or None,
            "tax_id": lambda p, k, _: p.tax_id[k] or None,
            "patronymic": lambda p, k, _: p.patronymic_native[k] or None,
        }

    def _take(self, out: RowOut, name: str, w: Written) -> Any:
        if w.defect:
            out.defects.append((name, w.defect, cell_text(w.value)))
        return w.value

    def render(self, p: PersonRows, k: int, fields: tuple[str, ...], when: dt.date) -> RowOut:
        """The cells of row ``k`` of ``p`` for ``fields``; ``when`` is the row's own date (last update).

        ``fields`` is a tuple, not a set: the fields draw from one random stream in this order, and set
        order changes with Python's per-process string hashing, which would break reproducibility.
        """
        st, r, m = self.style, self.rng, self.mess
        out = RowOut(values={})
        vals = out.values
        if any(f in fields for f in ("given_name", "surname", "full_name", "patronymic")):
            name = render_name(p, k, st.names, r, self.s)
            vals.update(given_name=name.given, surname=name.surname, patronymic=name.patronymic, full_name=name.full)
            out.defects.extend(name.defects)
            out.variant = "+".join(name.variant)
        if "phone" in fields:
            w = m.phone(
                p.phone_cc[k],
                p.phone_nsn[k],
                st.phone_styles,
                number_cell=st.phone_number_cell,
                float_text=st.phone_float,
                persian=st.phone_persian,
                scale=st.phone_scale,
            )
            vals["phone"], out.phone_ok = self._take(out, "phone", w), w.ok
        if "email" in fields:
            w = m.email(p.email[k], scale=st.email_scale)
            vals["email"], out.email_ok = self._take(out, "email", w), w.ok
        if "date_of_birth" in fields:
            w = m.dob(p.dob[k], st.dob_formats, fallback=st.dob_fallback, persian=st.dob_persian, scale=st.dob_scale)
            vals["date_of_birth"], out.dob_ok = self._take(out, "date_of_birth", w), w.ok
        for f in fields:
            if f not in vals:
                vals[f] = self._other(p, k, f, when, out)
        return out

    def _other(self, p: PersonRows, k: int, f: str, when: dt.date, out: RowOut) -> Any:
        if f in ("city", "postcode", "street", "address"):
            return self._place(p, k, f, out)
        if f.startswith("attributes."):
            return self._attribute(p, k, f.split(".", 1)[1])
        handler = self._handlers.get(f)
        if handler is None:
            raise KeyError(f"no renderer for field {f!r}")
        return handler(p, k, when)

    def _place(self, p: PersonRows, k: int, f: str, out: RowOut) -> Any:
        """City, postcode, street or the whole address; Latin when the source or the country asks for it."""
        latin = self.style.latin_address or p.country[k] != self.style.region
        if f == "city":
            value: str = city_name(p.city_idx[k], latin=latin)
        elif f == "postcode":
            value = p.postcode[k]
        elif f == "street":
            value = street_line(p.country[k], p.street_idx[k], p.house[k], p.flat[k], latin=latin, style=k)
        else:
            value = self.address(p, k, latin=latin)
        return self._take(out, f, self.mess.text(value, 0.5))

    def _country(self, p: PersonRows, k: int, when: dt.date) -> Any:
        names = _COUNTRY_NAMES.get(self.style.lang, _COUNTRY_NAMES["en"])
        return names[p.country[k]] if self.rng.random() < 0.7 else ("PL", "RU", "US", "IR", "CN")[p.country[k]]

    def _last_updated(self, p: PersonRows, k: int, when: dt.date) -> Any:
        return date_value(when, self.style.date_format, "dmy_dot")

    def _sex(self, p: PersonRows, k: int, when: dt.date) -> Any:
        labels = ("男", "女") if self.style.lang == "zh" else ("M", "K")
        return labels[p.sex[k]] if self.rng.random() < 0.9 else None

    def _channel(self, p: PersonRows, k: int, when: dt.date) -> Any:
        code = self.v["channels"]["codes"][p.channel[k]]
        return self.v["channels"].get(self.style.lang, {}).get(code, code) if self.rng.random() < 0.75 else None

    def _notes(self, p: PersonRows, k: int, when: dt.date) -> Any:
        notes = self.v["notes"].get(self.style.lang, [])
        return self.rng.choice(notes) if notes and self.rng.random() < 0.15 else None

    def address(self, p: PersonRows, k: int, *, latin: bool) -> str:
        """The whole address in one field, in the order that country uses."""
        c = p.country[k]
        street = street_line(c, p.street_idx[k], p.house[k], p.flat[k], latin=latin, style=k)
        city = city_name(p.city_idx[k], latin=latin)
        pc = p.postcode[k]
        if c == 2:
            return f"{street}, {city}, {places().region[p.city_idx[k]]} {pc}"
        if c == 1 and not latin:
            return f"{pc}, г. {city}, {street}"
        if c == 3 and not latin:
            return f"{city}، {street}، کد پستی {pc}"
        if c == 4 and not latin:
            return f"{places().region[p.city_idx[k]]}{city}{street}"
        return f"{street}, {pc} {city}"

    def _reliability(self, pay_class: int) -> str | None:
        r = self.rng
        phrases = self.v["reliability"].get(self.style.lang)
        if not phrases or r.random() < 0.35:
            return None
        cls = pay_class
        if r.random() < 0.1:  # the manager's opinion is out of date
            cls = min(3, max(0, cls + r.choice((-1, 1))))
        return str(r.choice(phrases[PAYMENT_CLASSES[cls]]))

    def _attribute(self, p: PersonRows, k: int, name: str) -> Any:
        r, lang = self.rng, self.style.lang
        if r.random() > (0.95 if name in ("state", "customer_type") else self.style.attribute_fill):
            return None
        if name == "preferred_brands":
            picks = [self.brands[b] for b in p.brands[k]]
            return ", ".join(dict.fromkeys(picks)) if r.random() < 0.7 else picks[0]
        if name == "expected_gift":
            return r.choice(self.v["gifts"].get(lang, self.v["gifts"]["en"]))
        if name == "pets":
            return r.choice(self.v["pets"].get(lang, self.v["pets"]["en"]))
        if name == "state":
            return places().region[p.city_idx[k]] if p.country[k] == 2 else None
        if name == "customer_type":
            return "firma" if p.is_company[k] else "osoba"
        raise KeyError(f"no renderer for attribute {name!r}")


def manager_name(manager: int, rng: random.Random, *, style: str) -> str:
    """How a file writes the responsible employee: full Latin, initial + surname, or Cyrillic."""
    e = EMPLOYEES[manager]
    if style == "cyrillic":
        return e.cyrillic if rng.random() < 0.7 else e.name
    first, last = e.name.split(" ", 1)
    return weighted(rng, ((e.name, 0.75), (f"{first[0]}. {last}", 0.25)))
