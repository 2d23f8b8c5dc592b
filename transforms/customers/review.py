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
import xlsxwriter
from openpyxl import load_workbook
from xlsxwriter.utility import xl_col_to_name

from transforms.lineage import ROW_LOCATION
from transforms.reporting.sheet_cells import TEXT_WORKBOOK, TextCells

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
    (``review_priority``), else most probable first.

    Written by XlsxWriter row by row (``constant_memory``), as the to-do lists are: a night of a million customers
    has tens of thousands of pairs to review, which openpyxl took half a minute to build cell by cell in memory.
    Cells go through ``TextCells.value``: numbers and dates as they are, every text as text (never a formula).
    """
    order = "review_priority" if "review_priority" in pairs.columns else "match_probability"
    frame = review_frame(pairs.sort_values(order, ascending=False, kind="stable"), records)
    headers = list(frame.columns)
    decision_at = headers.index(DECISION_HEADER)
    decision_col = xl_col_to_name(decision_at)
    path.parent.mkdir(parents=True, exist_ok=True)
    with xlsxwriter.Workbook(str(path), TEXT_WORKBOOK) as wb:
        cells = TextCells(wb)
        head = cells.heading_format({"bold": True, "text_wrap": True, "valign": "top"})
        fill = wb.add_format({"bg_color": "#FFF2CC", "pattern": 1})
        ws = wb.add_worksheet(SHEET)
        for c, name in enumerate(headers):
            hidden = {"hidden": True} if name in _KEYS else {}
            ws.set_column(c, c, 12 if name in _KEYS else min(28, max(10, len(name) + 2)), None, hidden)
            cells.heading(ws, 0, c, name, head)
        for r, values in enumerate(frame.itertuples(index=False, name=None), start=1):
            for c, value in enumerate(values):
                cells.value(ws, r, c, value, fill if c == decision_at else None)
        if len(frame):
            ws.data_validation(
                1,
                decision_at,
                len(frame),
                decision_at,
                {
                    "validate": "list",
                    "source": ["match", "not a match"],
                    "ignore_blank": True,
                    "error_title": "Decision",
                    "error_message": "Choose 'match' or 'not a match', or leave the cell empty.",
                },
            )
        ws.freeze_panes(1, 2)
        ws.autofilter(0, 0, max(len(frame), 1), len(headers) - 1)
        help_ws = wb.add_worksheet(HELP_SHEET)
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
        for r, line in enumerate(lines):
            cells.value(help_ws, r, 0, line)
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
