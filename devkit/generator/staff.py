"""The company's sales staff: who keeps which workbook and how other files spell their names.

Truth records each customer's account manager so the ``responsible`` mapping can be checked; the call
centre writes the same people in Cyrillic or in folded Latin, the shared Warsaw workbook with initials.
"""

from __future__ import annotations

from dataclasses import dataclass

COMPANY_NAME = "Domtech Sp. z o.o."


@dataclass(frozen=True)
class Employee:
    """A sales manager."""

    slug: str
    name: str  # Latin, as HR writes it
    cyrillic: str
    native: str  # in the manager's own script
    workbook: str  # source name of the workbook they keep


# fmt: off
EMPLOYEES: tuple[Employee, ...] = (
    Employee("anna_kowalska", "Anna Kowalska", "Анна Ковальская", "Anna Kowalska", "anna_kowalska"),
    Employee("piotr_nowak", "Piotr Nowak", "Пётр Новак", "Piotr Nowak", "biuro_warszawa"),
    Employee("katarzyna_wisniewska", "Katarzyna Wiśniewska", "Катажина Вишневская", "Katarzyna Wiśniewska",
             "biuro_warszawa"),
    Employee("john_miller", "John Miller", "Джон Миллер", "John Miller", "john_miller"),
    Employee("irina_sokolova", "Irina Sokolova", "Ирина Соколова", "Ирина Соколова", "irina_sokolova"),
    Employee("reza_ahmadi", "Reza Ahmadi", "Реза Ахмади", "رضا احمدی", "reza_ahmadi"),
    Employee("li_wei", "Li Wei", "Ли Вэй", "李伟", "li_wei"),
)
# fmt: on
ANNA, PIOTR, KATARZYNA, JOHN, IRINA, REZA, LI = range(len(EMPLOYEES))
WORKBOOKS: tuple[str, ...] = tuple(dict.fromkeys(e.workbook for e in EMPLOYEES))
