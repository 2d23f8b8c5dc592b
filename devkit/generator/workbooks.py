"""Write every manager's workbook from its layout: title rows, sections, blanks, totals, archive, notes.

Rows are streamed into openpyxl write-only sheets chunk by chunk; the truth row for each physical row
is recorded as it is appended, with ``row_number`` = physical row - header row.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from openpyxl import Workbook

from devkit.generator.appearances import Appearances, Plan
from devkit.generator.context import WriteContext
from devkit.generator.layouts import LAYOUTS, WorkbookLayout
from devkit.generator.people import NO_DATE, Population, to_date
from devkit.generator.person_rows import PersonRows, city_name, person_rows
from devkit.generator.pools import places, surnames, vocab
from devkit.generator.profiles import PROFILE_NAMES
from devkit.generator.records import RecordRenderer, RowOut, cell_text, manager_name
from devkit.generator.rng import python_rng
from devkit.generator.staff import KATARZYNA, PIOTR
from devkit.generator.truth import Loc
from devkit.generator.xlsx_io import MAX_SHEET_ROWS, date_cell, new_workbook, save_workbook

_VIP = np.asarray([name in ("loyal_regular", "big_spender") for name in PROFILE_NAMES])


@dataclass
class WrittenWorkbook:
    """What was written for one workbook source."""

    source: str
    path: str  # relative to the output folder
    data_sheets: list[str] = field(default_factory=list)
    rows: int = 0


class _SheetWriter:
    """Appends rows to a sheet (spilling into a continuation sheet near Excel's row limit)."""

    def __init__(self, wb: Workbook, name: str, lay: WorkbookLayout, as_of: dt.date, out: WrittenWorkbook):
        self.wb, self.base, self.lay, self.as_of, self.out = wb, name, lay, as_of, out
        self.part = 0
        self._open()

    def _open(self) -> None:
        self.part += 1
        self.name = self.base if self.part == 1 else f"{self.base} ({self.part})"
        self.ws = self.wb.create_sheet(self.name)
        self.out.data_sheets.append(self.name)
        date = self.as_of.strftime(self.lay.title_date_format) if self.lay.title_date_format else ""
        for title in self.lay.title_rows:
            self.ws.append([title.format(date=date)] if title else [])
        self.ws.append([c.header for c in self.lay.columns])
        self.header_row = len(self.lay.title_rows) + 1
        self.physical = self.header_row

    def append(self, cells: list[Any]) -> tuple[str, int]:
        """Append a row; returns (sheet name, row_number) of the row just written."""
        if self.physical >= MAX_SHEET_ROWS:
            self._open()
        self.ws.append(cells)
        self.physical += 1
        self.out.rows += 1
        return self.name, self.physical - self.header_row


def _surname_rank() -> np.ndarray:
    latin = surnames().latin_m
    return np.argsort(np.argsort(latin.astype(str), kind="stable"), kind="stable")


def _effective_city(pop: Population, cust: np.ndarray, when: np.ndarray) -> np.ndarray:
    moved = (pop.moved_on[cust] != NO_DATE) & (when < pop.moved_on[cust]) & (pop.old_city[cust] >= 0)
    return np.asarray(np.where(moved, pop.old_city[cust], pop.city[cust]))


def _office_manager(pop: Population, cust: np.ndarray) -> np.ndarray:
    m = pop.manager[cust]
    return np.where(np.isin(m, [PIOTR, KATARZYNA]), m, np.where(cust % 2 == 0, PIOTR, KATARZYNA))


def _order(
    lay: WorkbookLayout, pop: Population, plan: Plan, sel: np.ndarray, role: int
) -> tuple[np.ndarray, np.ndarray]:
    """Row order of one sheet and the group key per row (a change of key starts a section)."""
    cust, when = plan.cust[sel], plan.when[sel]
    rank = _surname_rank()[pop.surname[cust]].astype(np.int64)
    group = np.zeros(len(cust), dtype=np.int64)
    if role == 1:
        order = np.lexsort((cust, when))
    elif lay.sections == "city":
        city = _effective_city(pop, cust, when)
        city_rank = np.argsort(np.argsort(places().city_latin.astype(str)))[city]
        group = city.astype(np.int64)
        order = np.lexsort((cust, rank, city_rank))
    elif lay.sections == "vip":
        group = (~_VIP[pop.profile[cust]]).astype(np.int64)
        order = np.lexsort((cust, rank, group))
    elif lay.repeated_header:
        group = (_office_manager(pop, cust) == KATARZYNA).astype(np.int64)
        order = np.lexsort((cust, rank, group))
    elif lay.source == "irina_sokolova":
        order = np.lexsort((cust, rank))
    else:
        order = np.lexsort((cust, when))
    idx = np.flatnonzero(sel)[order]
    return idx, group[order]


def _chunks(n: int, size: int) -> Iterator[slice]:
    for start in range(0, n, size):
        yield slice(start, min(n, start + size))


def write_workbooks(ctx: WriteContext, apps: Appearances) -> list[WrittenWorkbook]:
    """Write all manager workbooks under ``out_dir/spreadsheets``."""
    return [_WorkbookWriter(ctx, lay).write(apps.workbooks[lay.source]) for lay in LAYOUTS]


class _WorkbookWriter:
    """Writes one manager's workbook from its layout, recording the truth of every appended row."""

    def __init__(self, ctx: WriteContext, lay: WorkbookLayout):
        self.ctx, self.lay = ctx, lay
        self.pop, self.sink, self.s = ctx.pop, ctx.sink, ctx.settings
        self.out = WrittenWorkbook(lay.source, f"spreadsheets/{lay.source}.xlsx")
        self.as_of = to_date(self.pop.as_of)
        self.rng = python_rng(ctx.seed, "workbook", lay.source)
        self.renderer = RecordRenderer(lay.style, self.rng, self.s, self.as_of)
        self.fields = tuple(c.field for c in lay.columns if not c.field.startswith("_"))

    def write(self, plan: Plan) -> WrittenWorkbook:
        """Write every sheet (main, archive, extra) and save the workbook."""
        wb = new_workbook()
        for role, sheet in enumerate(self.lay.sheets):
            sel = plan.extra["role"] == role if len(plan) else np.zeros(0, dtype=bool)
            idx, group = _order(self.lay, self.pop, plan, sel, role)
            self._rows(_SheetWriter(wb, sheet, self.lay, self.as_of, self.out), plan, idx, group, role)
        if self.lay.extra_sheet:
            _extra_sheet(wb, self.lay, self.rng)
        save_workbook(wb, self.ctx.out_dir / self.out.path)
        return self.out

    def _rows(self, w: _SheetWriter, plan: Plan, idx: np.ndarray, group: np.ndarray, role: int) -> None:
        lay, pop, s, rng = self.lay, self.pop, self.s, self.rng
        stale_cut = pop.as_of - s.stale_after_days
        ordinal = 0
        prev_group: int | None = None
        has_sections = lay.sections is not None and role == 0
        for part in _chunks(len(idx), s.chunk_rows):
            rows = idx[part]
            p = person_rows(pop, plan.cust[rows], plan.when[rows])
            office = _office_manager(pop, plan.cust[rows])
            for k in range(len(p)):
                g = int(group[part][k])
                if prev_group is not None and g != prev_group and lay.repeated_header:
                    self._non_record(w, [], "blank")
                    self._non_record(w, [c.header for c in lay.columns], "repeated_header")
                if has_sections and g != prev_group:
                    self._non_record(w, [_section_label(lay, p, k, g)], "section_title")
                prev_group = g
                when = int(plan.when[rows[k]])
                out = self.renderer.render(p, k, self.fields, to_date(when))
                ordinal += 1
                sheet, number = w.append(self._cells(w, out, ordinal, int(office[k])))
                loc = Loc(lay.source, w.out.path, sheet)
                self._record_truth(loc, number, p=p, k=k, out=out, when=to_date(when))
                if when < stale_cut:
                    written = cell_text(out.values.get("last_updated")) if "last_updated" in self.fields else ""
                    self.sink.defect(loc, number, p.customer_id[k], ("last_updated", "stale", written))
                if int(plan.extra["dup"][rows[k]]):
                    self.sink.defect(loc, number, p.customer_id[k], ("*", "duplicate_record", ""))
                if rng.random() < s.blank_row_rate:
                    self._non_record(w, [], "blank")
        if lay.total_label and role == 0:
            self._non_record(w, [lay.total_label.format(n=ordinal)], "total")

    def _non_record(self, w: _SheetWriter, cells: list[Any], row_type: str) -> None:
        sheet, number = w.append(cells)
        self.sink.row(Loc(self.lay.source, w.out.path, sheet), number, row_type)

    def _cells(self, w: _SheetWriter, out: RowOut, ordinal: int, office: int) -> list[Any]:
        lay = self.lay
        cells: list[Any] = []
        for col in lay.columns:
            if col.field == "_ordinal":
                value: Any = ordinal
            elif col.field == "_responsible":
                value = manager_name(office, self.rng, style="latin")
            else:
                value = out.values.get(col.field)
            if isinstance(value, dt.date):
                value = date_cell(w.ws, value, lay.date_cell_format)
            elif (
                col.field == "postcode"
                and lay.zip_as_number > 0
                and isinstance(value, str)
                and value.isdigit()
                and self.rng.random() < lay.zip_as_number
            ):
                value = int(value)
            cells.append(value)
        return cells

    def _record_truth(self, loc: Loc, number: int, *, p: PersonRows, k: int, out: RowOut, when: dt.date) -> None:
        cid, fields = p.customer_id[k], self.fields
        self.sink.row(
            loc,
            number,
            "record",
            customer_id=cid,
            record_date=when,
            phone=p.phone_e164[k],
            email=p.email[k],
            dob=p.dob[k],
            names=(p.given_native[k], p.surname_native[k]),
            phone_ok=out.phone_ok if "phone" in fields else None,
            email_ok=out.email_ok if "email" in fields else None,
            dob_ok=out.dob_ok if "date_of_birth" in fields else None,
            name_variant=out.variant,
            is_current=p.is_current[k],
        )
        for planted in out.defects:
            self.sink.defect(loc, number, cid, planted)


def _section_label(lay: WorkbookLayout, p: PersonRows, k: int, g: int) -> str:
    if lay.sections == "city":
        return lay.section_labels[0].format(city_name(p.city_idx[k], latin=p.country[k] != lay.style.region))
    return lay.section_labels[min(g, 1)]


def _extra_sheet(wb: Workbook, lay: WorkbookLayout, rng: random.Random) -> None:
    assert lay.extra_sheet is not None
    ws = wb.create_sheet(lay.extra_sheet)
    v = vocab()
    if lay.extra_hidden:
        ws.sheet_state = "hidden"
        ws.append(["Notatki (nie usuwać)"])
        for note in rng.sample(v["hidden_notes"], k=len(v["hidden_notes"])):
            ws.append([note])
        return
    ws.append(["Город", "Источник"])
    cities = [c for c, country in zip(places().city, places().country, strict=True) if country == 1]
    channels = list(v["channels"]["ru"].values())
    for i in range(max(len(cities), len(channels))):
        ws.append([cities[i] if i < len(cities) else None, channels[i] if i < len(channels) else None])
