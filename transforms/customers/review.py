"""The data steward's review workbook: doubtful pairs side by side, and the import of the steward's verdicts.

Each night the pairs whose match probability falls between the review thresholds are written to an xlsx
workbook, one pair a row: the steward's decision cell first, then the match probability and weight, each
field of both records side by side with how the model compared it, and where each record comes from.
Importing the filled workbook (`crm-etl review import FILE`) stores the verdicts in core.match_decision;
from then on they are must-link / cannot-link constraints in every run and labelled pairs for the model.

Verdicts are keyed by both records' content fingerprints: a verdict holds while the two records say the
same thing, wherever their rows move; when one of them is edited the evidence changed and the pair may
come back for review.
"""

from __future__ import annotations

import datetime as dt
import getpass
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from transforms.lineage import ROW_LOCATION
from transforms.reporting.sheet_cells import write_cell

SHEET = "Pairs to review"
HELP_SHEET = "How to review"
#: Fields shown side by side (staging.contact columns), in reading order.
SHOWN_FIELDS: tuple[str, ...] = (
    "full_name",
    "given_name",
    "surname",
    "patronymic",
    "given_name_latin",
    "surname_latin",
    "date_of_birth",
    "phone_e164",
    "email",
    "street",
    "postcode",
    "city",
    "country",
    "tax_id",
    "company",
    "customer_code",
)
_LOCATION = (*ROW_LOCATION, "responsible")
_KEYS = ("record_id_a", "record_id_b", "fingerprint_a", "fingerprint_b")
#: Words a steward may type in the decision column (case and surrounding spaces ignored).
MATCH_WORDS = frozenset({"match", "same", "yes", "y", "1", "true", "duplicate"})
NO_MATCH_WORDS = frozenset({"not a match", "no match", "different", "no", "n", "0", "false", "not match"})
DECISION_HEADER = "decision (match / not a match)"


def _write_row(ws: Any, row: int, values: list[Any]) -> None:
    """Dates and numbers as they are, everything else as text that is never a formula (``write_cell``)."""
    for col, value in enumerate(values, start=1):
        write_cell(ws.cell(row=row, column=col), value)


def review_frame(pairs: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """One row per doubtful pair: both records' fields side by side, comparisons, locations and keys."""
    rec = records.set_index("record_id")
    left = rec.reindex(pairs["record_id_l"]).reset_index(drop=True)
    right = rec.reindex(pairs["record_id_r"]).reset_index(drop=True)
    out = pd.DataFrame(
        {
            "pair": range(1, len(pairs) + 1),
            DECISION_HEADER: None,
            "match probability": pairs["match_probability"].round(4).to_numpy(),
            "match weight": pairs["match_weight"].round(2).to_numpy(),
        }
    )
    if "review_reason" in pairs.columns:
        out.insert(2, "why it is here", pairs["review_reason"].to_numpy())
    for f in SHOWN_FIELDS:
        if f in rec.columns:
            out[f"{f} (A)"] = left[f].to_numpy()
            out[f"{f} (B)"] = right[f].to_numpy()
    for col in [c for c in pairs.columns if c.startswith("cmp_")]:
        out[f"{col.removeprefix('cmp_')}: level"] = pairs[col].to_numpy()
    for f in _LOCATION:
        out[f"{f} (A)"] = left[f].to_numpy()
        out[f"{f} (B)"] = right[f].to_numpy()
    out["record_id_a"] = pairs["record_id_l"].to_numpy()
    out["record_id_b"] = pairs["record_id_r"].to_numpy()
    out["fingerprint_a"] = left["record_fingerprint"].to_numpy()
    out["fingerprint_b"] = right["record_fingerprint"].to_numpy()
    return out


def write_review_workbook(
    pairs: pd.DataFrame, records: pd.DataFrame, path: Path, *, run_id: str, as_of: dt.date, levels_help: str = ""
) -> Path:
    """Write the night's doubtful pairs for a data steward: most consequential first when the linkage ranked them
    (``review_priority``), else most probable first."""
    order = "review_priority" if "review_priority" in pairs.columns else "match_probability"
    frame = review_frame(pairs.sort_values(order, ascending=False, kind="stable"), records)
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = SHEET
    headers = list(frame.columns)
    _write_row(ws, 1, headers)
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="FFF2CC")
    for cell in ws[1]:
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
    for i, values in enumerate(frame.itertuples(index=False, name=None), start=2):
        _write_row(ws, i, list(values))
    decision_col = get_column_letter(headers.index(DECISION_HEADER) + 1)
    if len(frame):
        dv = DataValidation(type="list", formula1='"match,not a match"', allow_blank=True)
        dv.error, dv.errorTitle = "Choose 'match' or 'not a match', or leave the cell empty.", "Decision"
        ws.add_data_validation(dv)
        dv.add(f"{decision_col}2:{decision_col}{len(frame) + 1}")
        for row in range(2, len(frame) + 2):
            ws[f"{decision_col}{row}"].fill = fill
    ws.freeze_panes = "C2"
    ws.auto_filter.ref = ws.dimensions
    for idx, name in enumerate(headers, start=1):
        ws.column_dimensions[get_column_letter(idx)].width = 12 if name in _KEYS else min(28, max(10, len(name) + 2))
        if name in _KEYS:
            ws.column_dimensions[get_column_letter(idx)].hidden = True
    help_ws = wb.create_sheet(HELP_SHEET)
    lines = [
        "Pairs of records the matching model is unsure about.",
        "For each row, decide whether record A and record B are the same customer.",
        f"Write 'match' or 'not a match' in column {decision_col}; leave it empty to decide later.",
        "Then run: crm-etl review import <this file>.",
        "A decision holds in every later night while both records stay as they are.",
        "Level columns: how the model compared a field (higher = closer; -1 = missing on one side).",
        levels_help,
        f"Night: {as_of.isoformat()}   run: {run_id}   pairs: {len(frame)}",
        "Reviewer:",
    ]
    for r, line in enumerate(lines, start=1):
        _write_row(help_ws, r, [line])
    path.parent.mkdir(parents=True, exist_ok=True)
    wb.save(path)
    return path


@dataclass
class ReviewImport:
    """What an import found: decisions to store and the rows it could not read."""

    decisions: pd.DataFrame
    problems: list[str] = field(default_factory=list)
    undecided: int = 0


def parse_decision(value: Any) -> bool | None:
    """True for a match, False for not a match, None when empty; ValueError for anything else."""
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    text = str(value).strip().lower()
    if not text:
        return None
    if text in MATCH_WORDS:
        return True
    if text in NO_MATCH_WORDS:
        return False
    raise ValueError(f"{value!r} is not a decision: write 'match' or 'not a match', or leave the cell empty")


def read_review_workbook(path: Path, *, decided_by: str | None = None) -> ReviewImport:
    """Read a filled review workbook; every unreadable row is named (file, sheet, row, column) and skipped."""
    try:
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a file that is not a workbook
        raise ValueError(f"{path}: not a readable xlsx workbook ({exc})") from exc
    if SHEET not in wb.sheetnames:
        raise ValueError(f"{path}: sheet {SHEET!r} not found; import the workbook the nightly run wrote")
    rows = wb[SHEET].iter_rows(values_only=True)
    header = [str(h) if h is not None else "" for h in next(rows, ())]
    missing = [c for c in (DECISION_HEADER, *_KEYS) if c not in header]
    if missing:
        raise ValueError(f"{path}, sheet {SHEET!r}: column(s) {missing} not found; were columns deleted?")
    col = {name: header.index(name) for name in (DECISION_HEADER, *_KEYS)}
    reviewer = decided_by or _reviewer(wb) or getpass.getuser()
    wb.close()
    found: list[dict[str, Any]] = []
    problems: list[str] = []
    undecided = 0
    for number, row in enumerate(rows, start=2):
        try:
            verdict = parse_decision(row[col[DECISION_HEADER]] if len(row) > col[DECISION_HEADER] else None)
        except ValueError as exc:
            problems.append(f"{path}, sheet {SHEET!r}, row {number}, column {DECISION_HEADER!r}: {exc}")
            continue
        if verdict is None:
            undecided += 1
            continue
        keys = {k: row[i] if len(row) > i else None for k, i in col.items() if k != DECISION_HEADER}
        if any(not v for v in keys.values()):
            problems.append(f"{path}, sheet {SHEET!r}, row {number}: the hidden key columns are empty; row skipped")
            continue
        found.append({**{k: str(v) for k, v in keys.items()}, "is_match": verdict})
    decisions = pd.DataFrame(found, columns=[*_KEYS, "is_match"])
    decisions = decisions.rename(
        columns={
            "record_id_a": "record_id_l",
            "record_id_b": "record_id_r",
            "fingerprint_a": "fingerprint_l",
            "fingerprint_b": "fingerprint_r",
        }
    )
    decisions["decided_by"] = reviewer
    decisions["workbook"] = path.name
    return ReviewImport(decisions, problems, undecided)


def _reviewer(wb: Any) -> str | None:
    if HELP_SHEET not in wb.sheetnames:
        return None
    for row in wb[HELP_SHEET].iter_rows(values_only=True):
        for i, value in enumerate(row):
            if isinstance(value, str) and value.strip().lower().startswith("reviewer:"):
                name = value.split(":", 1)[1].strip() or (
                    str(row[i + 1]).strip() if len(row) > i + 1 and row[i + 1] else ""
                )
                return name or None
    return None
