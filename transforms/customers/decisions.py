"""Steward decisions: stored by `crm-etl review import` and the steward's console, applied as constraints by every
later night.

The latest decision on a pair wins. A decision is keyed by both records' content fingerprints, so it follows
the records when their rows move and lapses when one of them is edited (the evidence changed).
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Engine, inspect, text

from transforms.customers.review import ReviewImport
from transforms.warehouse.ddl import apply_ddl
from transforms.warehouse.load import table_columns
from transforms.warehouse.ops import utcnow
from transforms.warehouse.table_schemas import columns, columns_except

#: Every column of core.match_decision, as a decision is stored.
STORED_COLUMNS: tuple[str, ...] = columns("core.match_decision")
#: What the nightly run reads of a decision: all but the steward's note (so an older warehouse without it still
#: links).
COLUMNS: tuple[str, ...] = columns_except("core.match_decision", ("note",))


def _ordered(frame: pd.DataFrame) -> pd.DataFrame:
    """Put each pair's smaller fingerprint on the left so (a, b) and (b, a) are one pair."""
    swap = frame["fingerprint_l"] > frame["fingerprint_r"]
    out = frame.copy()
    for a, b in (("fingerprint_l", "fingerprint_r"), ("record_id_l", "record_id_r")):
        out.loc[swap, [a, b]] = frame.loc[swap, [b, a]].to_numpy()
    return out


def store_decisions(engine: Engine, imported: ReviewImport, *, create_tables: bool = True) -> int:
    """Save the imported decisions in one transaction, replacing earlier ones on the same pairs.

    The warehouse's tables are created here only when core.match_decision does not exist yet (a new DuckDB file),
    and never with ``create_tables=False``: a login that may write decisions only (PostgreSQL's crm_steward) has
    no right to create schemas, and the nightly run keeps the tables up to date. Columns the table lacks (an
    older warehouse) are left out.
    """
    found = _ordered(imported.decisions)
    found = found[found["fingerprint_l"] != found["fingerprint_r"]].drop_duplicates(
        ["fingerprint_l", "fingerprint_r"], keep="last"
    )
    if found.empty:
        return 0
    found = found.assign(decided_at=utcnow())
    if "note" not in found.columns:
        found["note"] = None
    rows = [{str(k): v for k, v in r.items()} for r in found[list(STORED_COLUMNS)].to_dict("records")]
    with engine.begin() as conn:
        if not inspect(conn).has_table("match_decision", schema="core"):
            if not create_tables:
                raise RuntimeError(
                    "the warehouse has no core.match_decision yet: run the nightly batch (or crm-etl warehouse "
                    "roles) once before storing decisions"
                )
            apply_ddl(conn)
        present = {c.lower() for c in table_columns(conn, "core", "match_decision")}
        # a login without rights on the table sees none of its columns: the database then says what is refused
        columns = [c for c in STORED_COLUMNS if c in present] if present else list(STORED_COLUMNS)
        rows = [{c: r[c] for c in columns} for r in rows]
        conn.execute(
            text(
                "delete from core.match_decision "
                "where fingerprint_l = :fingerprint_l and fingerprint_r = :fingerprint_r"
            ),
            rows,
        )
        conn.execute(
            text(
                f"insert into core.match_decision ({', '.join(columns)}) values ({', '.join(':' + c for c in columns)})"
            ),
            rows,
        )
    return len(rows)


def load_decisions(engine: Engine) -> pd.DataFrame:
    """Every stored decision (empty before the first import)."""
    if not inspect(engine).has_table("match_decision", schema="core"):
        return pd.DataFrame(columns=list(COLUMNS))
    with engine.connect() as conn:
        return pd.read_sql(text(f"select {', '.join(COLUMNS)} from core.match_decision"), conn)


def decisions_for_records(decisions: pd.DataFrame, records: pd.DataFrame) -> pd.DataFrame:
    """Tonight's record pairs the decisions apply to: record_id_l, record_id_r, is_match.

    ``records`` has record_id and record_fingerprint. A fingerprint shared by several rows (the same entry
    written twice in one source) applies the decision to each of them.
    """
    if decisions.empty:
        return pd.DataFrame({"record_id_l": [], "record_id_r": [], "is_match": pd.Series(dtype=bool)})
    prints = records[["record_id", "record_fingerprint"]]
    left = decisions[["fingerprint_l", "fingerprint_r", "is_match"]].merge(
        prints.rename(columns={"record_id": "record_id_l", "record_fingerprint": "fingerprint_l"}), on="fingerprint_l"
    )
    both = left.merge(
        prints.rename(columns={"record_id": "record_id_r", "record_fingerprint": "fingerprint_r"}), on="fingerprint_r"
    )
    both = both[both["record_id_l"] != both["record_id_r"]]
    out = both[["record_id_l", "record_id_r", "is_match"]].drop_duplicates().reset_index(drop=True)
    out["is_match"] = out["is_match"].astype(bool)
    return out
