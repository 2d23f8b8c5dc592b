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
import unicodedata
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from transforms.quality.columns import FAILURE_COLUMNS
from transforms.receivables.nulls import keep_where
from transforms.receivables.settings import NoteSettings

RULE = "reliability_note_disagrees"
_LOCATION = ["source_name", "source_file", "sheet", "row_number"]
_NON_WORD = re.compile(r"[^\w]+")
_WORDLESS = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")  # scripts written without spaces


def fold(text: str) -> str:
    """Case, accents and punctuation removed, spaces collapsed: how notes and phrases are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    bare = bare.replace("ł", "l").replace("ø", "o").replace("đ", "d").replace("ß", "ss")
    return " ".join(_NON_WORD.sub(" ", bare).split())


def _phrase_pattern(phrases: Mapping[str, list[str]]) -> tuple[re.Pattern[str], dict[str, str]]:
    """One regex of all phrases, longest first, whole words except in scripts written without spaces."""
    owner: dict[str, str] = {}
    for cls, words in phrases.items():
        for w in words:
            f = fold(w)
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
        found = pattern.findall(fold(text))
        meaning[text] = owner[max(found, key=len)] if found else None
    out = notes.map(meaning).astype("object")
    return keep_where(out, out.notna())


def note_values(contacts: pd.DataFrame, field: str, extracts: pd.DataFrame | None = None) -> pd.Series:
    """The note of each contact row: its own column, its JSON attributes, or the extract's column of that name.

    The standardized contact table keeps unmapped columns in ``attributes``; a field the sources file maps
    as ``reliability_note`` is found in the extract (``extracts``, joined on the row's location).
    """
    name = field.removeprefix("attributes.")
    out = pd.Series(None, index=contacts.index, dtype="object")
    if name in contacts.columns:
        out = contacts[name].astype("object")
    if "attributes" in contacts.columns and out.isna().any():
        attrs = contacts["attributes"]
        has = attrs.notna() & attrs.astype(str).str.contains(json.dumps(name)[1:-1], regex=False)
        if has.any():
            parsed = attrs[has].map(lambda a: _attribute(a, name))
            out = out.fillna(parsed.reindex(out.index))
    if extracts is not None and name in extracts.columns and out.isna().any():
        keyed = extracts[[*_LOCATION, name]].dropna(subset=[name]).drop_duplicates(_LOCATION)
        merged = contacts[_LOCATION].merge(keyed, on=_LOCATION, how="left")[name]
        out = out.fillna(pd.Series(merged.to_numpy(), index=contacts.index))
    out = keep_where(out, out.astype(str).str.strip() != "") if out.notna().any() else out
    return out


def _attribute(text: object, name: str) -> str | None:
    try:
        value = json.loads(str(text)).get(name)
    except (ValueError, AttributeError):
        return None
    return None if value is None else str(value)


def read_extract_column(extract_manifest: Path, column: str, kinds: tuple[str, ...] = ("spreadsheet",)) -> pd.DataFrame:
    """One column of the run's extracted rows (with their location), for the kinds of source that may map it."""
    if not extract_manifest.exists():
        return pd.DataFrame(columns=[*_LOCATION, column])
    files = json.loads(extract_manifest.read_text("utf-8")).get("files", [])
    parts = []
    for f in files:
        if f.get("status") != "ok" or f.get("source_kind") not in kinds or not f.get("records_path"):
            continue
        names = pq.read_schema(f["records_path"]).names
        if column in names:
            parts.append(pq.read_table(f["records_path"], columns=[*_LOCATION, column]).to_pandas())
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame(columns=[*_LOCATION, column])


def disagreements(
    contacts: pd.DataFrame,
    notes: pd.Series,
    computed: pd.DataFrame,
    settings: NoteSettings,
    *,
    as_of: dt.date,
    run_id: str,
) -> tuple[pd.DataFrame, dict[str, int]]:
    """dq.failure rows for notes whose meaning differs from the computed class of the row's customer.

    ``contacts`` holds record_id, the location, responsible and customer_id; ``computed`` one row per
    customer_id with reliability_class, invoices_due, median_days_late and share_paid_on_time.
    """
    rows = contacts.assign(note=notes.to_numpy())
    rows = rows[rows["note"].notna()]
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
    out = differ[["source_name", "source_file", "sheet", "row_number", "record_id", "responsible"]].copy()
    out["field"] = settings.field
    out["rule"] = RULE
    out["severity"] = "info"
    out["value"] = differ["note"].astype(str)
    out["message"] = _messages(differ)
    out["as_of"] = as_of
    out["run_id"] = run_id
    return out[FAILURE_COLUMNS].reset_index(drop=True), counts


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
