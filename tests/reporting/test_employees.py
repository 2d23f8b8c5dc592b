"""One employee however their name is written: forms grouped, a staff file, reminders in their language."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from devkit.generator.staff import EMPLOYEES
from tests.support import PipelineRun
from transforms.reporting.staff import StaffFile, StaffMember, load_staff, resolve_employees
from transforms.reporting.todo import write_todo_lists
from transforms.settings import SettingsError

SAMPLE_FORMS = [
    "Anna Kowalska", "Анна Ковальская", "Kowalska A.",
    "K. Wiśniewska", "Katarzyna Wisniewska", "Katarzyna Wiśniewska", "Катажина Вишневская",
    "Piotr Nowak", "Пётр Новак", "P. Nowak", "John Miller", "Джон Миллер", "Li Wei", "Ли Вэй",
]  # fmt: skip


def test_written_forms_of_one_person_are_one_employee() -> None:
    d = resolve_employees(SAMPLE_FORMS)
    assert {e.name: sorted(e.forms) for e in d.employees} == {
        "Anna Kowalska": sorted(["Anna Kowalska", "Анна Ковальская", "Kowalska A."]),
        "Katarzyna Wiśniewska": sorted(
            ["K. Wiśniewska", "Katarzyna Wisniewska", "Katarzyna Wiśniewska", "Катажина Вишневская"]
        ),
        "Piotr Nowak": sorted(["Piotr Nowak", "Пётр Новак", "P. Nowak"]),
        "John Miller": ["John Miller", "Джон Миллер"],
        "Li Wei": ["Li Wei", "Ли Вэй"],
    }
    assert d.unplaced == {}


def test_an_initial_that_fits_two_people_is_reported_not_guessed() -> None:
    d = resolve_employees(["Anna Nowak", "Adam Nowak", "A. Nowak"])
    assert len(d.employees) == 3
    assert "A. Nowak" in d.unplaced and "Adam Nowak" in d.unplaced["A. Nowak"]


def test_a_staff_file_declares_aliases_and_reports_the_rest() -> None:
    staff = StaffFile(
        employees=(
            StaffMember(name="Reza Ahmadi", aliases=("رضا احمدی",), email="reza@example.com", language="en"),
            StaffMember(name="Anna Kowalska", language="pl"),
        )
    )
    d = resolve_employees(["رضا احمدی", "Анна Ковальская", "Jan Kot"], staff)
    assert d.name("رضا احمدی") == "Reza Ahmadi"
    assert d.name("Анна Ковальская") == "Anna Kowalska"
    assert d.language("Anna Kowalska") == "pl"
    assert d.email("Reza Ahmadi") == "reza@example.com"
    assert "not in staff.yml" in d.unplaced["Jan Kot"]


def test_a_bad_staff_file_names_the_key(tmp_path: Path) -> None:
    (tmp_path / "sources.yml").write_text("version: 1\n", "utf-8")
    (tmp_path / "staff.yml").write_text(
        "employees:\n  - name: Anna Kowalska\n    langauge: pl\n  - name: Jan Kot\n    language: de\n", "utf-8"
    )
    with pytest.raises(SettingsError) as err:
        load_staff(tmp_path / "sources.yml")
    message = str(err.value)
    assert "employees[0].langauge: unknown key" in message.replace("employees.0", "employees[0]")
    assert "language" in message and "staff.yml" in message


@pytest.mark.parametrize(
    ("language", "greeting"), [("en", "Hello Anna Kowalska,"), ("pl", "Dzień dobry"), ("ru", "Здравствуйте")]
)
def test_reminders_are_written_in_the_employees_language(tmp_path: Path, language: str, greeting: str) -> None:
    failures = pd.DataFrame(
        {
            "responsible": ["Anna Kowalska"],
            "severity": ["critical"],
            "rule": ["mandatory_field_missing"],
            "field": ["phone_or_email"],
            "source_file": ["anna.xlsx"],
            "sheet": ["Klienci"],
            "row_number": [3],
            "value": [None],
            "message": ["fill in a phone or an e-mail"],
        }
    )
    (lst,) = write_todo_lists(failures, tmp_path, as_of="2026-11-20", languages={"Anna Kowalska": language})
    assert lst.reminder.read_text("utf-8").startswith(greeting)


def test_the_night_has_one_todo_list_per_person(pipeline_run: PipelineRun) -> None:
    manifest = json.loads((pipeline_run.run_dir / "report" / "manifest.json").read_text("utf-8"))
    people = {e.name for e in EMPLOYEES} | {"unassigned"}
    listed = {t["employee"] for t in manifest["todo"]}
    assert listed <= people, listed - people
    assert set(manifest["employees"]) <= people
    html = (pipeline_run.run_dir / "report" / "report.html").read_text("utf-8")
    assert "Катажина Вишневская" in html  # shown among the forms grouped into one employee
