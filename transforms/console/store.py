"""What the console reads from the warehouse, and the one table it writes (core.match_decision).

DuckDB: a file is held by one process at a time, so the console lets go of it after half a minute without a
request (``ConsoleState.release_idle``) and the nightly run can publish while a steward has the console open;
while the run holds the file the console answers "busy" and the next page works again.

PostgreSQL: the console connects as the data steward (crm_steward, docs/access.md), who may read everything and
write review decisions only.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Connection, Engine, bindparam, create_engine, text
from sqlalchemy.engine import make_url

from transforms.customers.decisions import STORED_COLUMNS, store_decisions
from transforms.customers.review import ReviewImport
from transforms.standardize.names import name_key
from transforms.standardize.text import to_latin
from transforms.warehouse.engine import absolute_url

STEWARD_ROLE = "crm_steward"
#: The `workbook` of a decision made in the console.
CONSOLE_SOURCE = "console"
_DIGITS = re.compile(r"\D+")
_WORD = re.compile(r"[^\W_]+")


def console_engine(url: str, *, role: str | None = STEWARD_ROLE) -> Engine:
    """An engine for the console: as ``role`` on PostgreSQL (unless the URL sets a role)."""
    parsed = make_url(absolute_url(url))
    if parsed.get_backend_name() == "duckdb":
        return create_engine(parsed, pool_size=1, max_overflow=0)
    if parsed.get_backend_name() == "postgresql" and role and "options" not in parsed.query:
        parsed = parsed.update_query_dict({"options": f"-crole={role}"})
    return create_engine(parsed, pool_pre_ping=True)


def rows(
    conn: Connection, sql: str, params: dict[str, Any] | None = None, *, expanding: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Every row of a query as a dictionary; ``expanding`` names the parameters that are lists."""
    stmt = text(sql)
    if expanding:
        stmt = stmt.bindparams(*(bindparam(name, expanding=True) for name in expanding))
    return [dict(r) for r in conn.execute(stmt, params or {}).mappings()]


# ------------------------------------------------------------------------------------------------- review queue


def review_pairs(conn: Connection) -> list[dict[str, Any]]:
    """Tonight's doubtful pairs with both records' fingerprints and the size of the customers they touch."""
    return rows(
        conn,
        """
        select
            r.record_id_l, r.record_id_r, r.customer_id_l, r.customer_id_r, r.match_weight, r.match_probability,
            r.as_of, r.run_id,
            sl.record_fingerprint as fingerprint_l, sr.record_fingerprint as fingerprint_r,
            coalesce(cl.record_count, 1) as records_l, coalesce(cr.record_count, 1) as records_r
        from core.match_review as r
        inner join core.customer_source_record as sl on sl.record_id = r.record_id_l
        inner join core.customer_source_record as sr on sr.record_id = r.record_id_r
        left join core.customer as cl on cl.customer_id = r.customer_id_l
        left join core.customer as cr on cr.customer_id = r.customer_id_r
        """,
    )


def review_run(conn: Connection) -> tuple[str | None, Any]:
    """The run and night of the pairs waiting for review (None when there are none)."""
    found = rows(conn, "select run_id, as_of from core.match_review limit 1")
    return (found[0]["run_id"], found[0]["as_of"]) if found else (None, None)


def contacts(conn: Connection, record_ids: Iterable[str]) -> dict[str, dict[str, Any]]:
    """staging.contact rows by record id."""
    ids = sorted(set(record_ids))
    if not ids:
        return {}
    found = rows(conn, "select * from staging.contact where record_id in :ids", {"ids": ids}, expanding=["ids"])
    return {r["record_id"]: r for r in found}


def decisions_on(conn: Connection, fingerprints: Iterable[str]) -> dict[tuple[str, str], dict[str, Any]]:
    """Stored decisions touching these fingerprints, by (smaller fingerprint, larger fingerprint)."""
    prints = sorted(set(fingerprints))
    if not prints:
        return {}
    found = rows(
        conn,
        "select * from core.match_decision where fingerprint_l in :p or fingerprint_r in :p",
        {"p": prints},
        expanding=["p"],
    )
    return {(r["fingerprint_l"], r["fingerprint_r"]): r for r in found}


def store_verdict(
    engine: Engine,
    pair: dict[str, Any],
    *,
    is_match: bool,
    decided_by: str,
    note: str | None,
) -> None:
    """Store one verdict exactly as `crm-etl review import` stores a workbook's (one code path)."""
    import pandas as pd

    frame = pd.DataFrame(
        [
            {
                "record_id_l": pair["record_id_l"],
                "record_id_r": pair["record_id_r"],
                "fingerprint_l": pair["fingerprint_l"],
                "fingerprint_r": pair["fingerprint_r"],
                "is_match": is_match,
                "decided_by": decided_by,
                "workbook": CONSOLE_SOURCE,
                "note": note or None,
            }
        ]
    )
    store_decisions(engine, ReviewImport(frame), create_tables=engine.dialect.name != "postgresql")


def restore_decision(engine: Engine, key: tuple[str, str], previous: dict[str, Any] | None) -> None:
    """Undo: the pair's decision as it was before (none: the decision is withdrawn)."""
    with engine.begin() as conn:
        conn.execute(
            text("delete from core.match_decision where fingerprint_l = :l and fingerprint_r = :r"),
            {"l": key[0], "r": key[1]},
        )
        if previous is not None:
            columns = [c for c in previous if c in STORED_COLUMNS]
            conn.execute(
                text(
                    f"insert into core.match_decision ({', '.join(columns)}) "
                    f"values ({', '.join(':' + c for c in columns)})"
                ),
                {c: previous[c] for c in columns},
            )


# ---------------------------------------------------------------------------------------------------- customers


def search_customers(conn: Connection, query: str, *, limit: int = 50) -> list[dict[str, Any]]:
    """Customers found by id, e-mail, phone, tax id, or name in any script (compared on Latin match keys)."""
    q = query.strip()
    if not q:
        return []
    if q.upper().startswith("CUST-"):
        where, params = "s.customer_id = :id", {"id": q.upper()}
    elif "@" in q:
        where, params = "c.email_key = :email or c.email = :raw", {"email": q.lower(), "raw": q}
    elif len(digits := _DIGITS.sub("", q)) >= 5 and len(digits) >= len(q.replace(" ", "")) * 0.6:
        where = "c.phone_e164 like :tail or c.tax_id = :digits or c.tax_id = :raw or c.customer_code = :raw"
        params = {"tail": f"%{digits}", "digits": digits, "raw": q}
    else:
        words = _WORD.findall(q)
        if not words:
            return []
        clauses = []
        params = {}
        for i, word in enumerate(words[:4]):
            params[f"k{i}"] = name_key(word) or word.lower()
            params[f"w{i}"] = f"{to_latin(word) or word.lower()}%"
            params[f"raw{i}"] = word
            clauses.append(
                f"(c.surname_key = :k{i} or c.surname_latin like :w{i} or c.given_name_latin like :w{i} "
                f"or c.customer_code = :raw{i})"
            )
        where = " and ".join(clauses)
    return rows(
        conn,
        f"""
        with hits as (
            select distinct s.customer_id
            from staging.contact as c
            inner join core.customer_source_record as s on s.record_id = c.record_id
            where {where}
        )
        select
            g.customer_id, g.full_name, g.given_name, g.surname, g.given_name_latin, g.surname_latin, g.city,
            g.phone_e164, g.email, g.record_count
        from core.customer as g
        inner join hits as h on h.customer_id = g.customer_id
        order by g.record_count desc, g.customer_id
        limit {int(limit)}
        """,
        params,
    )


def customer_page(conn: Connection, customer_id: str) -> dict[str, Any] | None:
    """Everything the customer page shows, or None for an unknown id."""
    golden = rows(conn, "select * from core.customer where customer_id = :id", {"id": customer_id})
    history = rows(
        conn,
        "select * from core.customer_id_history where customer_id = :id or related_customer_id = :id "
        "order by as_of, event",
        {"id": customer_id},
    )
    if not golden:
        return {"golden": None, "history": history} if history else None
    params = {"id": customer_id}
    provenance = rows(
        conn,
        "select field, rule, record_id, source_name, source_file, sheet, row_number "
        "from core.customer_field_provenance where customer_id = :id",
        params,
    )
    # The customer's records first, then their rows by key: lookups rather than joins over every record.
    links = {
        r["record_id"]: r["match_probability"]
        for r in rows(
            conn,
            "select record_id, match_probability from core.customer_source_record where customer_id = :id",
            params,
        )
    }
    records = sorted(
        ({**r, "match_probability": links[r["record_id"]]} for r in contacts(conn, links).values()),
        key=lambda r: (r["source_name"], r["source_file"], r["sheet"], r["row_number"]),
    )
    reliability = rows(conn, "select * from marts.customer_reliability where customer_id = :id", params)
    segment = rows(conn, "select segment_id, segment_name from marts.customer_segment where customer_id = :id", params)
    failures = (
        rows(
            conn,
            """
            select rule, severity, field, value, message, responsible, source_file, sheet, row_number, record_id
            from dq.failure
            where record_id in :ids and as_of = (select max(as_of) from dq.failure)
            order by rule, source_file, row_number
            """,
            {"ids": sorted(links)},
            expanding=["ids"],
        )
        if links
        else []
    )
    pairs = rows(
        conn,
        "select record_id_l, record_id_r, match_probability from core.match_review "
        "where customer_id_l = :id or customer_id_r = :id",
        params,
    )
    return {
        "golden": golden[0],
        "provenance": {p["field"]: p for p in provenance},
        "records": records,
        "history": history,
        "reliability": reliability[0] if reliability else None,
        "segment": segment[0] if segment else None,
        "failures": failures,
        "pairs": pairs,
    }


# --------------------------------------------------------------------------------------------- data quality queue


def quality_summary(conn: Connection) -> tuple[Any, list[dict[str, Any]]]:
    """The latest night's failing values counted by rule and employee."""
    found = rows(
        conn,
        """
        with night as (select max(as_of) as as_of from dq.failure)
        select f.as_of, f.rule, f.severity, f.responsible, count(*) as failures
        from dq.failure as f
        inner join night as n on f.as_of = n.as_of
        group by f.as_of, f.rule, f.severity, f.responsible
        order by failures desc, f.rule, f.responsible
        """,
    )
    return (found[0]["as_of"] if found else None), found


def quality_failures(
    conn: Connection, *, rule: str | None, responsible: str | None, limit: int, offset: int
) -> list[dict[str, Any]]:
    """The latest night's failing values (optionally of one rule and one employee), with their customer."""
    return rows(
        conn,
        f"""
        with failing as (
            select f.rule, f.severity, f.field, f.value, f.message, f.responsible, f.source_name, f.source_file,
                f.sheet, f.row_number, f.record_id
            from dq.failure as f
            where f.as_of = (select max(as_of) from dq.failure)
                and (:rule is null or f.rule = :rule) and (:responsible is null or f.responsible = :responsible)
            order by f.rule, f.responsible, f.source_file, f.sheet, f.row_number, f.field
            limit {int(limit)} offset {int(offset)}
        )
        select failing.*, s.customer_id
        from failing
        left join core.customer_source_record as s on s.record_id = failing.record_id
        order by failing.rule, failing.responsible, failing.source_file, failing.sheet, failing.row_number,
            failing.field
        """,
        {"rule": rule, "responsible": responsible},
    )
