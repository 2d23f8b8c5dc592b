"""Hand-typed reliability notes ("pays on time", "nie płaci", "всегда задерживает") read and checked.

A sales manager's note is an opinion that may be out of date, so it is never used to classify anyone: it is
read into a class with the phrases of reliability.yml (any language), compared with the class computed from
accounting, and every disagreement becomes a data-quality row (rule ``reliability_note_disagrees``, severity
info) for the manager who answers for the row.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Mapping
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from transforms.lineage import ROW_LOCATION
from transforms.quality.columns import DQ_FAILURE_COLUMNS, FAILING_ROW, METRIC_COLUMNS
from transforms.receivables.nulls import keep_where
from transforms.receivables.settings import NoteSettings
from transforms.standardize.text import fold_phrase

RULE = "reliability_note_disagrees"
_WORDLESS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")  # scripts written without spaces


def _phrase_pattern(phrases: Mapping[str, list[str]]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex of all phrases, longest first, whole words except in scripts written without spaces."""
    owner: dict[str, str] = {}
    for cls, words in phrases.items():
        for w in words:
            f = fold_phrase(w)
            if f and f not in owner:
                owner[f] = cls
    parts = []
    for f in sorted(owner, key=len, reverse=True):
        left = "" if _WORDLESS.match(f[0]) else r"(?<!\w)"
        right = "" if _WORDLESS.match(f[-1]) else r"(?!\w)"
        parts.append(f"{left}{re.escape(f)}{right}")
    return re.compile("|".join(parts) if parts else r"(?!x)x"), owner


def read_notes(notes: pd.Series, phrases: Mapping[str, list[str]]) -> pd.Series:
    """The class each note means (the longest phrase found decides); empty when no phrase is found."""
    pattern, owner = _phrase_pattern(phrases)
    unique = notes.dropna().astype(str).unique()
    meaning: dict[str, str | None] = {}
    for text in unique:  # distinct notes only: a few hundred phrasings, not one per row
        found = pattern.findall(fold_phrase(text))
        meaning[text] = owner[max(found, key=len)] if found else None
    out = notes.map(meaning).astype("object")
    return keep_where(out, out.notna())


def note_rows(con: duckdb.DuckDBPyConnection, contacts: str, field: str, extracts: pd.DataFrame | None) -> pd.DataFrame:
    """The contact rows (of table ``contacts`` in ``con``) that carry a note, with the note in column ``note``.

    The note is the row's own column of that name, else its JSON ``attributes`` entry (the standardized
    contact table keeps unmapped columns there), else the extract's column (``extracts``, joined on the row's
    location): a field the sources file maps as ``reliability_note`` is only in the extract. Blank notes are
    no notes. Only the rows with a note leave DuckDB.
    """
    name = field.removeprefix("attributes.")
    cols = {row[0] for row in con.execute(f"describe {contacts}").fetchall()}
    key = json.dumps(name, ensure_ascii=False)
    found = []
    if name in cols:
        found.append(f"c.{_quoted(name)}::varchar")
    if "attributes" in cols:
        found.append(
            f"case when contains(c.attributes, {_literal(key)}) and json_valid(c.attributes) "
            f"then json_extract_string(c.attributes, {_literal('$.' + key)}) end"
        )
    join = ""
    if extracts is not None and name in extracts.columns:
        keyed = extracts[[*ROW_LOCATION, name]].dropna(subset=[name]).drop_duplicates(list(ROW_LOCATION))
        keyed = keyed.rename(columns={name: "extract_note"}).astype({"extract_note": "string"})
        con.register("extract_notes", keyed)
        join = f"left join extract_notes e using ({', '.join(ROW_LOCATION)})"
        found.append("e.extract_note::varchar")
    if not found:
        return pd.DataFrame(columns=["record_id", *ROW_LOCATION, "responsible", "note"])
    blank = [f"case when trim({f}) <> '' then {f} end" for f in found]
    note = f"coalesce({', '.join(blank)})"
    where = ", ".join(f"c.{c}" for c in ROW_LOCATION)
    sql = (
        f"select * from (select c.record_id, {where}, c.responsible, {note} as note "
        f"from {contacts} c {join}) where note is not null order by {', '.join(ROW_LOCATION)}, record_id"
    )
    found_rows: pd.DataFrame = con.sql(sql).df()
    return found_rows


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def read_extract_column(
    files: list[dict[str, Any]], column: str, kinds: tuple[str, ...] = ("spreadsheet",)
) -> pd.DataFrame:
    """One column of the run's extracted rows (with their location), for the kinds of source that may map it;
    ``files`` are the extract's reports of its files (``FileReport`` as a dict), each naming its rows' file."""
    parts = []
    for f in files:
        if f.get("status") != "ok" or f.get("source_kind") not in kinds or not f.get("records_path"):
            continue
        names = pq.read_schema(f["records_path"]).names
        if column in names:
            parts.append(pq.read_table(f["records_path"], columns=[*ROW_LOCATION, column]).to_pandas())
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*ROW_LOCATION, column])


def disagreements(
    rows: pd.DataFrame,
    computed: pd.DataFrame,
    settings: NoteSettings,
    *,
    as_of: dt.date,
    run_id: str,
) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame]:
    """dq.failure rows for notes whose meaning differs from the computed class of the row's customer, the counts,
    and the comparison's dq.metric rows.

    ``rows`` holds record_id, the location, responsible, customer_id and the note (``note_rows``); ``computed``
    one row per customer_id with reliability_class, invoices_due, median_days_late and share_paid_on_time.
    """
    rows = rows[rows["note"].notna()]
    rows.attrs["field"] = settings.field
    rows = rows.assign(note_class=read_notes(rows["note"], settings.phrases).to_numpy())
    facts = computed.set_index("customer_id")
    rows = rows.join(facts, on="customer_id", how="left")
    counts = {
        "notes": len(rows),
        "notes_unread": int(rows["note_class"].isna().sum()),
        "notes_without_customer": int(rows["customer_id"].isna().sum()),
    }
    comparable = rows["note_class"].notna() & rows["reliability_class"].notna()
    if not settings.report_when_no_history:
        comparable &= rows["reliability_class"] != "no_history"
    differ = rows[comparable & (rows["note_class"] != rows["reliability_class"])]
    counts["notes_compared"] = int(comparable.sum())
    counts["notes_disagreeing"] = len(differ)
    out = differ[FAILING_ROW].copy()
    out["field"] = settings.field
    out["rule"] = RULE
    out["severity"] = "info"
    out["value"] = differ["note"].astype(str)
    out["message"] = _messages(differ)
    out["as_of"] = as_of
    out["run_id"] = run_id
    # The note is on a source row and names its customer (dq.failure's customer columns, one schema).
    out["customer_id"] = differ["customer_id"].to_numpy()
    out["customer_name"] = None
    out["customer_code"] = None
    out["found_on"] = "source_row"
    return (
        out[DQ_FAILURE_COLUMNS].reset_index(drop=True),
        counts,
        _metric(rows, comparable, differ.index, as_of, run_id),
    )


def _metric(rows: pd.DataFrame, comparable: pd.Series, failed: pd.Index, as_of: dt.date, run_id: str) -> pd.DataFrame:
    """dq.metric rows of the comparison (checked: notes compared; failed: notes disagreeing), per source and
    employee, so the night's counts of failing values (report, trend, CLI) include the notes as dq.failure does."""
    checked = rows[comparable].assign(failed=lambda f: f.index.isin(failed).astype("int64"))
    if checked.empty:
        return pd.DataFrame(columns=METRIC_COLUMNS)
    metric = checked.groupby(["source_name", "responsible"], as_index=False, dropna=False).agg(
        checked=("failed", "size"), failed=("failed", "sum")
    )
    metric["field"] = rows.attrs.get("field", "reliability_note")
    metric["rule"] = RULE
    metric["severity"] = "info"
    metric["completeness"] = 1 - metric["failed"] / metric["checked"].clip(lower=1)
    metric["as_of"] = as_of
    metric["run_id"] = run_id
    metric["responsible"] = metric["responsible"].fillna("unassigned")
    return metric[METRIC_COLUMNS]


def _messages(rows: pd.DataFrame) -> list[str]:
    said = rows["note_class"].str.replace("_", " ")
    shown = rows["reliability_class"].str.replace("_", " ")
    due = rows["invoices_due"].fillna(0).astype("int64").astype(str)
    median = rows["median_days_late"].astype("float64").round(0)
    share = (rows["share_paid_on_time"].astype("float64") * 100).round(0)
    median_text = np.where(median.isna(), "no", median.fillna(0).astype("int64").astype(str))
    share_text = np.where(share.isna(), "no", share.fillna(0).astype("int64").astype(str) + "%")
    return [
        f"The note says '{s}' but accounting shows '{c}': {d} invoices due, median {m} days late, "
        f"{p} paid on time. Update or remove the note."
        for s, c, d, m, p in zip(said, shown, due, median_text, share_text, strict=True)
    ]
