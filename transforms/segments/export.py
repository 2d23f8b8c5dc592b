"""Campaign lists: the customers of one segment as CSV or xlsx, with or without personal data.

A segment is named by its id or name (marts.customer_segment) or by an analyst's rule (the view
marts.segment_<rule>). Values come from files people typed, so a cell such as ``=HYPERLINK(...)`` must stay
text: in CSV it gets a leading apostrophe, in xlsx it is written as text with Excel's quote prefix.
Without personal data, the list holds ids and behaviour only (for agencies and analyses that need no
names, phones or addresses).
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

import pandas as pd
from openpyxl import Workbook
from sqlalchemy import Engine, inspect, text

from transforms.faults import path_fault
from transforms.reporting.sheet_cells import csv_text, write_cell, write_text_cell
from transforms.segments.settings import SegmentSettings, load_segments_file
from transforms.warehouse.engine import make_engine
from transforms.warehouse.personal import is_personal

log = logging.getLogger(__name__)

#: Behaviour columns every list carries besides the contact columns.
BEHAVIOUR_COLUMNS = [
    "invoices_per_year",
    "avg_invoice_amount",
    "spend_currency",
    "days_since_last_invoice",
    "reliability_class",
    "preferred_brands",
    "preferred_categories",
]


class SegmentNotFoundError(LookupError):
    """No segment, segment name or rule view by that name."""


def _segment_filter(engine: Engine, segment: str) -> tuple[str, dict[str, Any]]:
    """SQL (customer ids of the segment) and its parameters."""
    view = re.sub(r"^(marts\.)?(segment_)?", "", segment.strip().lower())
    if re.fullmatch(r"[a-z][a-z0-9_]*", view) and inspect(engine).has_table(f"segment_{view}", schema="marts"):
        return f"select customer_id from marts.segment_{view}", {}
    if segment.strip().isdigit():
        return "select customer_id from marts.customer_segment where segment_id = :v", {"v": int(segment)}
    return "select customer_id from marts.customer_segment where lower(segment_name) = lower(:v)", {
        "v": segment.strip()
    }


def _rule_views(engine: Engine) -> list[str]:
    names = inspect(engine).get_view_names(schema="marts")
    return sorted(n for n in names if n.startswith("segment_"))


def read_segment(
    engine: Engine, segment: str, settings: SegmentSettings, *, without_personal_data: bool
) -> pd.DataFrame:
    """The customers of a segment with contact and behaviour columns (personal ones left out on request)."""
    members, params = _segment_filter(engine, segment)
    contact = [c for c in settings.export.contact_columns if c != "customer_id"]
    if without_personal_data:
        # The warehouse's own list of personal columns (transforms.warehouse.personal) always applies too:
        # a sole trader's company name is a person's name.
        contact = [c for c in contact if c not in settings.export.personal_columns and not is_personal(c)]
    feature_cols = [c for c in BEHAVIOUR_COLUMNS if c not in contact]
    customer_cols = [c for c in contact if c not in ("channel", "account_manager")]
    feature_cols = [c for c in ("channel", "account_manager") if c in contact] + feature_cols
    select = ", ".join(
        ["m.customer_id", "s.segment_id", "s.segment_name"]
        + [f'c."{c}"' for c in customer_cols]
        + [f'f."{c}"' for c in feature_cols]
    )
    sql = f"""
        with members as ({members})
        select {select}
        from members as m
        left join marts.customer_segment as s on s.customer_id = m.customer_id
        left join core.customer as c on c.customer_id = m.customer_id
        left join marts.customer_feature as f on f.customer_id = m.customer_id
        order by m.customer_id
    """
    with engine.connect() as conn:
        return pd.read_sql(text(sql), conn, params=params)


#: Money columns of a list (rounded to cents: 5300.1, not 5300.099999999999).
_MONEY = re.compile(r"(^|_)(amount|revenue|balance|spend|paid|due)(_|$)")


def round_money(frame: pd.DataFrame) -> pd.DataFrame:
    """The list with every numeric money column rounded to cents."""
    money = [c for c in frame.columns if _MONEY.search(str(c)) and pd.api.types.is_float_dtype(frame[c])]
    return frame.assign(**{c: frame[c].round(2) for c in money}) if money else frame


def _holds_text(column: pd.Series) -> bool:
    """Whether a column may hold typed text (object, string or categorical): anything but numbers, flags, times."""
    kinds = pd.api.types
    return not (kinds.is_numeric_dtype(column) or kinds.is_bool_dtype(column) or kinds.is_datetime64_any_dtype(column))


def write_csv(frame: pd.DataFrame, out: Path) -> None:
    """CSV (UTF-8 with a byte-order mark, so Excel reads any script) with formula-like text made harmless."""
    safe = frame.copy()
    for col in safe.columns:
        if _holds_text(safe[col]):
            safe[col] = safe[col].map(csv_text)
    safe.to_csv(out, index=False, encoding="utf-8-sig")


def write_xlsx(frame: pd.DataFrame, out: Path, *, title: str) -> None:
    """xlsx with numbers, dates and flags as values and every text cell typed as text, never a formula
    (``write_cell``)."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "customers"
    for c, name in enumerate(frame.columns, start=1):
        write_text_cell(ws.cell(row=1, column=c), name)
    for r, values in enumerate(frame.itertuples(index=False), start=2):
        for c, value in enumerate(values, start=1):
            write_cell(ws.cell(row=r, column=c), value)
    ws.freeze_panes = "A2"
    wb.properties.title = title
    wb.properties.creator = "crm-consolidation"
    wb.save(out)


def export_segment(
    segment: str,
    out: Path,
    *,
    fmt: str,
    without_personal_data: bool,
    engine: Engine,
    settings: SegmentSettings,
) -> int:
    """Write the list; returns the number of customers written."""
    frame = read_segment(engine, segment, settings, without_personal_data=without_personal_data)
    if frame.empty and not _known(engine, segment):
        raise SegmentNotFoundError(segment)
    frame = round_money(frame)
    if fmt not in ("csv", "xlsx"):
        raise ValueError(f"unknown format {fmt!r}: use csv or xlsx")
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        if fmt == "csv":
            write_csv(frame, out)
        else:
            write_xlsx(frame, out, title=f"Segment {segment}")
    except OSError as exc:
        raise path_fault(
            exc, what=f"the export file {out}", fix="Choose --out in a folder this user can write"
        ) from None
    return len(frame)


def _known(engine: Engine, segment: str) -> bool:
    sql, _params = _segment_filter(engine, segment)
    if "marts.segment_" in sql and "customer_segment" not in sql:
        return True
    with engine.connect() as conn:
        found = conn.execute(
            text(
                "select count(*) from marts.segment_profile"
                " where cast(segment_id as varchar) = :v or lower(segment_name) = lower(:v)"
            ),
            {"v": segment.strip()},
        ).scalar()
    return bool(found)


def export_segment_command(segment: str, out: Path, fmt: str, without_personal_data: bool, warehouse_url: str) -> int:
    """``crm-etl export-segment``: write one segment's customers to CSV or xlsx; returns the exit code (0 = done).

    SEGMENT is a segment id, a segment name (marts.segment_profile) or a rule of segments.yml
    (e.g. radio_late_payers). The list is read from the last published night of the warehouse.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in ("csv", "xlsx"):
        print(f"Unknown format {fmt!r}: use csv or xlsx.")
        return 2
    engine = make_engine(warehouse_url)
    try:
        if not inspect(engine).has_table("customer_segment", schema="marts"):
            print("The warehouse has no segments yet: run the nightly batch with the segments stage first.")
            return 1
        try:
            rows = export_segment(
                segment,
                Path(out),
                fmt=fmt,
                without_personal_data=without_personal_data,
                engine=engine,
                settings=load_segments_file(),
            )
        except SegmentNotFoundError:
            print(
                f"No segment {segment!r}. Segments: ids and names in marts.segment_profile; rules: "
                + (", ".join(_rule_views(engine)) or "none")
            )
            return 1
    finally:
        engine.dispose()
    kind = "without personal data" if without_personal_data else "with contact details"
    print(f"Wrote {rows} customers of segment {segment!r} ({kind}) to {out}.")
    log.info("export-segment: %d customers written", rows)
    return 0
