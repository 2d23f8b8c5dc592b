"""Each employee's to-do list (xlsx) and a plain-text reminder, from the night's dq.failure rows.

One workbook per responsible employee lists every one of their rows that breaks a rule: file, sheet, row,
field, the value as written and what to do. Values come from files people typed, so a value such as
``=HYPERLINK(...)`` or ``@SUM(A1)`` must stay text in the workbook: every cell is written as a string with
its type forced (never a formula) and Excel's quote prefix set, whatever its first character (``=``, ``+``,
``-``, ``@``, tab, carriage return, or their full-width forms).

A reminder holds only its employee's counts and file names, never another employee's data.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Hashable, Mapping
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path
from typing import Any

import pandas as pd
import xlsxwriter

from transforms.cores import usable_cores
from transforms.quality.rules import RULES, field_label
from transforms.reporting.sheet_cells import TEXT_WORKBOOK, TextCells, looks_like_formula, safe_text
from transforms.standardize.text import ascii_fold

__all__ = ["TodoList", "looks_like_formula", "safe_text", "write_todo_lists"]

SEVERITY_ORDER = {"critical": 0, "warning": 1, "info": 2}
SEVERITY_LABEL = {"critical": "must fix", "warning": "should fix", "info": "check"}
HEADERS = ("Priority", "File", "Sheet", "Row", "Field", "Value as written", "Customer", "Problem", "What to do")
WIDTHS = (12, 34, 16, 7, 20, 32, 40, 44, 70)


@dataclass(frozen=True)
class TodoList:
    """One employee's to-do list and reminder."""

    employee: str
    workbook: Path
    reminder: Path
    rows: int


def file_slug(employee: str, taken: set[str]) -> str:
    """A file-name-safe, unique name for an employee (any script, transliterated)."""
    base = ascii_fold(employee or "unassigned", sep="_") or "employee"
    base = base[:60]
    slug, n = base, 2
    while slug in taken:
        slug, n = f"{base}_{n}", n + 1
    taken.add(slug)
    return slug


def field_name(field: object) -> str:
    """A field as people name it; ``*`` is the whole row (or the whole file, for file-level rules)."""
    return "Whole row or file" if field == "*" else field_label(str(field))


def customer_label(failure: Mapping[Hashable, Any]) -> str:
    """The customer a failing row is about: name as written, the source's code, the customer id."""

    def text(key: str) -> str:
        v = failure.get(key)
        return "" if v is None or (not isinstance(v, str) and pd.api.types.is_scalar(v) and pd.isna(v)) else str(v)

    name, code, cid = text("customer_name"), text("customer_code"), text("customer_id")
    extra = ", ".join(x for x in (f"code {code}" if code else "", cid) if x)
    label = f"{name} ({extra})" if name and extra else name or extra
    if text("found_on") == "golden_record":
        label += " - found on the consolidated customer"
    return label


def customer_labels(failures: pd.DataFrame) -> list[str]:
    """``customer_label`` of every row, read column by column (a to-do list can hold a million rows)."""
    keys = ("customer_name", "customer_code", "customer_id", "found_on")
    columns = [failures[k].tolist() if k in failures.columns else [None] * len(failures) for k in keys]
    return [customer_label(dict(zip(keys, values, strict=True))) for values in zip(*columns, strict=True)]


def todo_rows(failures: pd.DataFrame) -> pd.DataFrame:
    """The failures as to-do rows, most urgent first, then by file, sheet, row and field."""
    f = failures.copy()
    f["_order"] = f["severity"].map(SEVERITY_ORDER).fillna(3)
    f = f.sort_values(["_order", "source_file", "sheet", "row_number", "field"], kind="stable")
    return pd.DataFrame(
        {
            "Priority": f["severity"].map(SEVERITY_LABEL).fillna(f["severity"]),
            "File": f["source_file"],
            "Sheet": f["sheet"].fillna(""),
            "Row": f["row_number"].astype("int64"),
            "Field": f["field"].map(field_name),
            "Value as written": f["value"],
            "Customer": customer_labels(f),
            "Problem": f["rule"].map(lambda r: RULES.get(str(r), str(r))),
            "What to do": f["message"],
        }
    ).reset_index(drop=True)


#: Rows a worksheet can hold below its header (Excel stops at 1,048,576 rows); a longer list goes on in
#: "To do (2)", "To do (3)" and so on.
SHEET_ROWS = 1_048_575


def write_todo_workbook(
    rows: pd.DataFrame, path: Path, *, employee: str, as_of: str, sheet_rows: int = SHEET_ROWS
) -> None:
    """One employee's workbook: a frozen, filterable header and one row per thing to fix.

    Written by XlsxWriter row by row to a temporary file (``constant_memory``): a list of a million rows costs
    seconds and little memory, where building the sheet in openpyxl's cells took minutes and gigabytes. Every
    text is written as a string (never a formula), quote-prefixed when a spreadsheet would read it as one.
    """
    with xlsxwriter.Workbook(str(path), TEXT_WORKBOOK) as wb:
        wb.set_properties({"title": f"Data to fix, as of {as_of}", "author": "crm-consolidation"})
        cells = TextCells(wb)
        header = cells.heading_format({"bold": True, "bg_color": "#DDEBF7"})
        row_at = HEADERS.index("Row")
        columns = [rows[h].tolist() for h in HEADERS]
        starts = range(0, max(len(rows), 1), sheet_rows)
        for n, start in enumerate(starts, start=1):
            ws = wb.add_worksheet("To do" if n == 1 else f"To do ({n})")
            for c, (title, width) in enumerate(zip(HEADERS, WIDTHS, strict=True)):
                cells.heading(ws, 0, c, title, header)
                ws.set_column(c, c, width)
            stop = min(start + sheet_rows, len(rows))
            for r, i in enumerate(range(start, stop), start=1):
                for c, column in enumerate(columns):
                    if c == row_at:
                        ws.write_number(r, c, int(column[i]))
                    else:
                        cells.text(ws, r, c, column[i])
            ws.freeze_panes(1, 0)
            ws.autofilter(0, 0, max(stop - start, 1), len(HEADERS) - 1)
        about = wb.add_worksheet("About")
        for r, (label, value) in enumerate((("Employee", employee), ("As of", as_of))):
            cells.text(about, r, 0, label)
            cells.text(about, r, 1, value)
        cells.text(about, 2, 0, "Rows to fix")
        about.write_number(2, 1, len(rows))


#: The reminder's sentences in each language an employee can be written to (``language`` in staff.yml).
REMINDER_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "hello": "Hello {employee},",
        "found": "Tonight's data check (as of {as_of}) found {n} thing(s) to fix in the customer records "
        "you answer for:",
        "critical": "must fix", "warning": "should fix", "info": "check",
        "score": "Your data-quality score tonight: {score:.1f} of 100.",
        "frequent": "Most frequent:",
        "files": "In these files:",
        "rows": "row(s)",
        "attached": "The attached list ({workbook}) gives each file, sheet, row and field, the value as written "
        'and what to do. Fixing the "must fix" rows first raises your score the most.',
        "thanks": "Thank you.",
    },
    "pl": {
        "hello": "Dzień dobry, {employee},",
        "found": "Nocna kontrola danych (stan na {as_of}) znalazła {n} rzecz(y) do poprawienia w rekordach klientów, "
        "za które odpowiadasz:",
        "critical": "do poprawienia obowiązkowo", "warning": "do poprawienia", "info": "do sprawdzenia",
        "score": "Twój wynik jakości danych dziś: {score:.1f} na 100.",
        "frequent": "Najczęściej:",
        "files": "W tych plikach:",
        "rows": "wiersz(y)",
        "attached": "Załączona lista ({workbook}) podaje plik, arkusz, wiersz i pole, wartość w postaci wpisanej "
        "i co zrobić. Poprawienie najpierw pozycji obowiązkowych najbardziej podniesie Twój wynik.",
        "thanks": "Dziękujemy.",
    },
    "ru": {
        "hello": "Здравствуйте, {employee}!",
        "found": "Ночная проверка данных (на {as_of}) нашла {n} ошибок(и) в записях клиентов, за которые вы отвечаете:",
        "critical": "исправить обязательно", "warning": "желательно исправить", "info": "проверить",
        "score": "Ваша оценка качества данных сегодня: {score:.1f} из 100.",
        "frequent": "Чаще всего:",
        "files": "В файлах:",
        "rows": "строк(и)",
        "attached": "В приложенном списке ({workbook}) указаны файл, лист, строка и поле, значение как оно записано "
        "и что сделать. Сначала исправьте обязательные пункты: это больше всего поднимет оценку.",
        "thanks": "Спасибо.",
    },
}  # fmt: skip


def reminder_text(
    employee: str,
    failures: pd.DataFrame,
    *,
    as_of: str,
    workbook_name: str,
    score: float | None = None,
    language: str = "en",
) -> str:
    """A plain-text reminder ready to be sent, in the employee's language: counts and files of this employee only."""
    t = REMINDER_TEXT.get(language, REMINDER_TEXT["en"])
    by_sev = failures["severity"].value_counts()
    lines = [t["hello"].format(employee=employee), "", t["found"].format(as_of=as_of, n=len(failures))]
    for sev in ("critical", "warning", "info"):
        if by_sev.get(sev, 0):
            lines.append(f"  - {int(by_sev[sev])} {t[sev]} ({sev})")
    if score is not None:
        lines += ["", t["score"].format(score=score)]
    top = failures.groupby(["rule", "field"]).size().sort_values(ascending=False).head(3)
    if len(top):
        lines += ["", t["frequent"]]
        for key, n in top.items():
            rule, field = key if isinstance(key, tuple) else (key, "*")
            lines.append(f"  - {field_name(field)}: {RULES.get(str(rule), str(rule))} ({int(n)})")
    files = failures.groupby("source_file").size().sort_values(ascending=False)
    lines += ["", t["files"]]
    lines += [f"  - {name}: {int(n)} {t['rows']}" for name, n in files.items()]
    lines += ["", t["attached"].format(workbook=workbook_name), "", t["thanks"]]
    return "\n".join(lines) + "\n"


#: A night with at least this many failing rows writes its to-do lists in several processes (below, the cost of
#: starting them is more than what they save).
PARALLEL_ROWS = 200_000


@dataclass(frozen=True)
class _Job:
    """One employee's list to write: their failing rows and where the files go."""

    employee: str
    slug: str
    part: pd.DataFrame
    score: float | None
    language: str


#: The jobs of the lists being written, read by the forked processes (each gets them with the parent's memory,
#: not pickled: a night of a million customers has over a million failing rows).
_JOBS: list[_Job] = []


def _write_one(job: _Job, out_dir: Path, as_of: str) -> TodoList:
    book = out_dir / f"todo_{job.slug}.xlsx"
    write_todo_workbook(todo_rows(job.part), book, employee=job.employee, as_of=as_of)
    note = out_dir / f"reminder_{job.slug}.txt"
    text = reminder_text(
        job.employee, job.part, as_of=as_of, workbook_name=book.name, score=job.score, language=job.language
    )
    note.write_text(text, "utf-8")
    return TodoList(job.employee, book, note, len(job.part))


def _write_job(at: int, out_dir: Path, as_of: str) -> TodoList:
    return _write_one(_JOBS[at], out_dir, as_of)


def write_todo_lists(
    failures: pd.DataFrame,
    out_dir: Path,
    *,
    as_of: str,
    scores: dict[str, float] | None = None,
    languages: dict[str, str] | None = None,
    processes: int | None = None,
) -> list[TodoList]:
    """One workbook and one reminder per employee with at least one failure; returns what was written.

    ``responsible`` must already name employees (written forms of one person grouped: ``reporting.staff``);
    ``languages`` gives the reminder's language per employee (English when not known). A large night's lists are
    written by ``processes`` processes (default: one per core when there are ``PARALLEL_ROWS`` failing rows or
    more), largest first: writing a workbook is Python code bound to one core, and at a million customers it was
    two fifths of the report.
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in [*out_dir.glob("todo_*.xlsx"), *out_dir.glob("reminder_*.txt")]:
        old.unlink()
    taken: set[str] = set()
    jobs = [
        _Job(
            str(employee),
            file_slug(str(employee), taken),
            part,
            (scores or {}).get(str(employee)),
            (languages or {}).get(str(employee), "en"),
        )
        for employee, part in failures.groupby(failures["responsible"].fillna("unassigned"), sort=True)
    ]
    if processes is None:
        processes = usable_cores() if len(failures) >= PARALLEL_ROWS else 1
    processes = min(processes, len(jobs))
    if processes <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        return [_write_one(job, out_dir, as_of) for job in jobs]
    _JOBS[:] = jobs
    try:
        largest_first = sorted(range(len(jobs)), key=lambda at: -len(jobs[at].part))
        with ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("fork")) as pool:
            done = dict(
                zip(largest_first, pool.map(_write_job, largest_first, repeat(out_dir), repeat(as_of)), strict=True)
            )
    finally:
        _JOBS.clear()
    return [done[at] for at in range(len(jobs))]
