"""Who the employees are: the written forms of one person's name grouped into one employee.

Files write the responsible employee as they please: "Anna Kowalska", "Анна Ковальская", "K. Wiśniewska",
"Katarzyna Wisniewska". The control report, the ranking and the to-do lists need one employee per person, so
the forms are grouped before anything is counted:

1. a company's ``staff.yml`` beside its ``sources.yml`` declares its people (name, aliases, e-mail, language);
   a form equal to a declared name or alias is that person;
2. the other forms are grouped automatically only where it is certain: the same surname and given name once
   transliterated and folded (scripts, diacritics, order), or an initial ("K. Wiśniewska", "Kowalska A.")
   matching exactly one person;
3. a form that matches several people, or (when a staff file exists) nobody declared, is reported as not
   placed and kept as an employee of its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import jellyfish
from pydantic import BaseModel, ConfigDict, Field

from transforms.settings.layered import company_file
from transforms.settings.loader import load_settings_file
from transforms.standardize.names import split_full_name
from transforms.standardize.text import fold_diacritics, normalize_text, text_key, to_latin

STAFF_FILE = "staff.yml"
UNASSIGNED = "unassigned"
Language = Literal["en", "pl", "ru"]


class StaffMember(BaseModel):
    """One employee as the company declares them."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    aliases: tuple[str, ...] = ()
    email: str | None = Field(default=None, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
    language: Language | None = None


class StaffFile(BaseModel):
    """``staff.yml``: the company's employees."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: Literal[1] = 1
    employees: tuple[StaffMember, ...] = ()


def load_staff(sources_file: str | Path | None) -> StaffFile | None:
    """The company's ``staff.yml`` beside its sources file, validated; None when there is none."""
    path = company_file(sources_file, STAFF_FILE)
    return load_settings_file(StaffFile, path) if path is not None else None


# --------------------------------------------------------------------------------------------------- name forms

#: Spellings that differ between transliterations of one name (Polish, Russian, English conventions).
_LOOSE = (
    ("dzh", "j"), ("zh", "z"), ("sh", "s"), ("ch", "c"), ("kh", "h"), ("rz", "z"), ("w", "v"),
    ("aya", "a"), ("aia", "a"), ("y", "i"), ("ie", "e"), ("io", "e"), ("yo", "e"),
)  # fmt: skip
_NOT_LETTERS = re.compile(r"[^a-z]+")
_DOUBLED = re.compile(r"(.)\1+")


def loose_key(word: str) -> str:
    """A Latin key equal for the usual spellings of one name part in any script ("Вишневская" = "Wiśniewska")."""
    key = _NOT_LETTERS.sub("", to_latin(word))
    for a, b in _LOOSE:
        key = key.replace(a, b)
    return _DOUBLED.sub(r"\1", key)


def _same_surname(a: str, b: str) -> bool:
    return a == b or (min(len(a), len(b)) >= 4 and jellyfish.jaro_winkler_similarity(a, b) >= 0.9)


def _same_given(a: str, b: str) -> bool:
    return a == b or (a[:1] == b[:1] and jellyfish.jaro_winkler_similarity(a, b) >= 0.8)


@dataclass(frozen=True)
class NameForm:
    """A written form read as (given name key, surname key) or, with only an initial, (initial, surname key)."""

    written: str
    given: str  # loose key of the given name, "" when only an initial is written
    initial: str
    surname: str

    @classmethod
    def of(cls, written: str) -> NameForm | None:
        text = normalize_text(written)
        if not text:
            return None
        p = split_full_name(text)
        surname = loose_key(p.surname or "")
        if not surname:
            return None
        given = loose_key(p.given_name or "")
        initial = given[:1] or loose_key(p.initials or "")[:1]
        return cls(written, given, initial, surname) if initial else None

    def swapped(self) -> NameForm | None:
        """The reading with given name and surname the other way round (order is often a guess)."""
        if not self.given:
            return None
        return NameForm(self.written, self.surname, self.surname[:1], self.given)

    def same_person(self, other: NameForm) -> bool:
        """Both full forms of one name (in either order)."""
        if not (self.given and other.given):
            return False
        readings = [other] + ([s] if (s := other.swapped()) else [])
        return any(_same_surname(self.surname, o.surname) and _same_given(self.given, o.given) for o in readings)

    def initial_fits(self, other: NameForm) -> bool:
        """This initial form ("K. Wiśniewska") fits the full form ``other``."""
        readings = [other] + ([s] if (s := other.swapped()) else [])
        return any(_same_surname(self.surname, o.surname) and o.initial == self.initial for o in readings)


# ----------------------------------------------------------------------------------------------------- directory


@dataclass
class Employee:
    """One person and the written forms that name them."""

    name: str
    forms: list[str] = field(default_factory=list)
    email: str | None = None
    language: str | None = None
    declared: bool = False


@dataclass
class Directory:
    """Written form -> employee; the forms that could not be placed, each with the reason."""

    employees: list[Employee]
    employee_of: dict[str, str]  # written form -> employee name
    unplaced: dict[str, str]  # written form -> why it could not be placed

    def name(self, written: str) -> str:
        return self.employee_of.get(written, written)

    def language(self, name: str) -> str:
        return next((e.language for e in self.employees if e.name == name and e.language), "en")

    def email(self, name: str) -> str | None:
        return next((e.email for e in self.employees if e.name == name and e.email), None)


def _display_name(forms: list[str], weight: Mapping[str, float]) -> str:
    """The form to show: a full Latin form, with diacritics rather than without, then the most used."""

    def key(form: str) -> tuple[bool, bool, bool, float, str]:
        parsed = NameForm.of(form)
        full = parsed is not None and bool(parsed.given)
        latin = fold_diacritics(form).isascii()
        return (full, latin, not form.isascii(), weight.get(form, 0.0), form)

    return max(forms, key=key)


def resolve_employees(written: Mapping[str, float] | Iterable[str], staff: StaffFile | None = None) -> Directory:
    """Group written forms of employee names into employees (``written`` may weigh each form by its rows)."""
    weight: dict[str, float] = dict(written) if isinstance(written, Mapping) else dict.fromkeys(written, 1.0)
    employees: list[Employee] = []
    members: list[list[NameForm]] = []  # per employee, the parsed forms that identify them
    employee_of: dict[str, str] = {}
    unplaced: dict[str, str] = {}
    declared: dict[str, int] = {}
    for member in staff.employees if staff else ():
        i = len(employees)
        employees.append(Employee(member.name, [], member.email, member.language, declared=True))
        members.append([f for f in (NameForm.of(n) for n in (member.name, *member.aliases)) if f is not None])
        for n in (member.name, *member.aliases):
            declared[text_key(n) or n.casefold()] = i
    assigned: dict[str, int] = {}
    pending: list[tuple[str, NameForm | None]] = []
    for form in sorted(weight, key=lambda f: (-weight[f], f)):
        if form == UNASSIGNED:
            continue
        i = declared.get(text_key(form) or form.casefold(), -1)
        if i >= 0:
            assigned[form] = i
        else:
            pending.append((form, NameForm.of(form)))
    # Full forms first (they found the groups), then initials (they join a group or stay apart).
    pending.sort(key=lambda p: (p[1] is None or not p[1].given, -weight[p[0]], p[0]))
    for form, parsed in pending:
        if parsed is None:
            unplaced[form] = "not read as a given name and a surname"
            employees.append(Employee(form))
            members.append([])
            assigned[form] = len(employees) - 1
            continue
        test = parsed.same_person if parsed.given else parsed.initial_fits
        hits = [i for i, forms in enumerate(members) if any(test(f) for f in forms)]
        if len(hits) == 1:
            assigned[form] = hits[0]
            if parsed.given:
                members[hits[0]].append(parsed)
            continue
        if len(hits) > 1:
            who = ", ".join(sorted(employees[i].name for i in hits))
            unplaced[form] = f"could be any of {who}"
        elif staff is not None:
            unplaced[form] = f"not in {STAFF_FILE} (add it to a person's aliases)"
        elif not parsed.given:
            unplaced[form] = "an initial that fits no one"
        employees.append(Employee(form))
        members.append([parsed] if parsed.given else [])
        assigned[form] = len(employees) - 1
    for form, i in assigned.items():
        employees[i].forms.append(form)
    for e in employees:
        if not e.declared and e.forms:
            e.name = _display_name(e.forms, weight)
    kept = [e for e in employees if e.forms or e.declared]
    for e in kept:
        for form in e.forms:
            employee_of[form] = e.name
    return Directory(kept, employee_of, unplaced)
