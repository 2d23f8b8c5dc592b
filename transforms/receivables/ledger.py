"""Settle the accounting export: what each invoice is due, what was paid towards it and when it was paid in full.

The rules (each one reported, never applied silently):

* a credit note reduces the invoice it corrects (``corrects_invoice``), by its absolute value, in the same
  currency; a credit note to an unknown invoice or in another currency is left aside;
* an invoice booked with a negative amount is due its absolute value (``is_negative_amount``);
* exact duplicate payment rows count once (``status = 'duplicate'``);
* a payment to an invoice number that is not in the invoice export is quarantined
  (``status = 'unknown_invoice'``), as is a payment in another currency than its invoice;
* partial payments accumulate; the invoice is paid in full on the day they reach the amount due.

Document numbers are matched on a key that ignores how they were typed (``FV/2023/000012`` = ``fv 23/12``), so
a number mistyped in one export still finds its payments. Amounts never cross currencies.

The work is SQL run by an in-memory DuckDB over the frames: it keeps millions of documents in columnar
memory, uses both cores and reads as the rules above.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TypeAlias

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa

from transforms.lineage import RUN_STAMP
from transforms.receivables.nulls import keep_where
from transforms.warehouse.table_schemas import columns_except

#: Aging buckets of an unpaid invoice by days past its due date: (label, upper limit in days).
AGING_BUCKETS: tuple[tuple[str, int | None], ...] = (
    ("current", 0),
    ("1-30", 30),
    ("31-60", 60),
    ("61-90", 90),
    ("91-120", 120),
    ("over_120", None),
)
#: Paid amounts within this of the amount due count as full payment (rounding in exports).
CENT = 0.005

#: The staged tables as the ledger reads them: every column but the file's physical row and checksum and the stamp.
INVOICE_INPUT = list(columns_except("staging.invoice", ("physical_row", "file_sha256", *RUN_STAMP)))
PAYMENT_INPUT = list(columns_except("staging.payment", ("physical_row", "file_sha256", *RUN_STAMP)))


@dataclass(frozen=True)
class Ledger:
    """Settled documents (one row per invoice or credit-note row) and payments (one row per payment row)."""

    invoices: pd.DataFrame
    payments: pd.DataFrame


def document_key_sql(column: str) -> str:
    """SQL for a document number reduced to letters, 4-digit year and sequence (FV-2023-000012 = fv/23/12).

    A number that is not letters plus two groups of digits keeps its text, upper-cased and trimmed.
    """
    digits = f"regexp_extract_all({column}, '[0-9]+')"
    year = f"{digits}[1]"
    seq = f"{digits}[2]"
    return (
        f"case when len({digits}) = 2 then "
        f"array_to_string(regexp_extract_all(upper({column}), '\\pL+'), '') || '/' || "
        f"(case when length({year}) = 2 then '20' || {year} else coalesce(nullif(ltrim({year}, '0'), ''), '0') end)"
        f" || '/' || coalesce(nullif(ltrim({seq}, '0'), ''), '0') "
        f"else nullif(upper(trim({column})), '') end"
    )


def _aging_sql(days: str) -> str:
    parts = []
    for label, upper in AGING_BUCKETS:
        if upper is None:
            parts.append(f"else '{label}'")
        else:
            parts.append(f"when {days} <= {upper} then '{label}'")
    return "case " + " ".join(parts) + " end"


#: What the ledger accepts: a Parquet file or an Arrow table (the stage), or a pandas frame (small inputs, tests).
Frame: TypeAlias = Path | pd.DataFrame | pa.Table

_DATES = ("issued_on", "due_on", "paid_on")


def register_input(con: duckdb.DuckDBPyConnection, name: str, frame: Frame, columns: list[str]) -> None:
    """Expose ``frame`` to ``con`` as view ``name`` with exactly ``columns``, typed the way the rules read them.

    Dates become dates (text is parsed; what does not parse is empty), amounts doubles and row numbers integers;
    every other column is text. A column the frame lacks is empty. Parquet files (what the stage passes) are
    scanned by DuckDB itself, only the columns used, when used; Arrow tables are scanned in place; pandas frames
    are accepted for small inputs and tests. Column ``input_order`` numbers the rows as given, so the wide text
    columns can be joined back to the computed ones at the end instead of being copied through every step.
    """
    raw = f"{name}_raw"
    if isinstance(frame, Path):
        path = str(frame).replace("'", "''")
        con.execute(
            f"create or replace temp view {raw} as select * exclude (file_row_number), "
            f"file_row_number::bigint as {INPUT_ORDER} from read_parquet('{path}', file_row_number = true)"
        )
    else:
        order = pa.array(np.arange(len(frame), dtype="int64"))
        if isinstance(frame, pa.Table):
            frame = frame.append_column(INPUT_ORDER, order)
        else:
            frame = frame.assign(**{INPUT_ORDER: order.to_numpy()})
        con.register(raw, frame)
    present = {row[0]: row[1] for row in con.execute(f"describe {raw}").fetchall()}
    parts = []
    for c in columns:
        if c not in present or present[c] == "NULL":
            kind = (
                "date" if c in _DATES else "double" if c == "amount" else "bigint" if c == "row_number" else "varchar"
            )
            parts.append(f"null::{kind} as {c}")
        elif c in _DATES:
            parts.append(
                f"{c} as {c}"
                if present[c] == "DATE"
                else f"coalesce(try_cast({c} as date), try_cast(try_cast({c} as timestamp) as date)) as {c}"
            )
        elif c == "amount":
            parts.append(f"try_cast({c} as double) as {c}")
        elif c == "row_number":
            parts.append(f"try_cast({c} as bigint) as {c}")
        else:
            parts.append(f"nullif(cast({c} as varchar), 'nan') as {c}" if present[c] != "VARCHAR" else c)
    parts.append(INPUT_ORDER)
    con.execute(f"create or replace temp view {name} as select {', '.join(parts)} from {raw}")


def settle_into(
    con: duckdb.DuckDBPyConnection, invoices: Frame, payments: Frame, *, as_of: dt.date, owners: str | None = None
) -> None:
    """Settle in ``con``: leaves the settled documents and payments there (rows in no order).

    Tables ``settled_invoice`` and ``settled_payment`` hold what was computed, by ``input_order``, with the
    columns the roll-ups read; views ``settled_invoice_rows`` and ``settled_payment_rows`` add the input's
    lineage and text columns back: the rows as written.

    ``owners`` names a table of ``con`` (customer_code, customer_id) giving each accounting code its customer;
    every settled row then carries its code's ``customer_id`` (empty without it), added while the rows are
    written rather than by copying millions of rows once more.
    """
    register_input(con, "inv_in", invoices, INVOICE_INPUT)
    register_input(con, "pay_in", payments, PAYMENT_INPUT)
    if owners is None:
        con.execute("create or replace temp table no_owner (customer_code varchar, customer_id varchar)")
    sql = _SETTLE_SQL.format(as_of=f"date '{as_of.isoformat()}'", owners=owners or "no_owner", **_SQL_PARTS)
    con.execute(sql)


def settle(invoices: Frame, payments: Frame, *, as_of: dt.date) -> Ledger:
    """Apply credit notes and payments to invoices as of ``as_of`` (payments after it are ignored).

    Returns pandas frames in file order, dates as ``datetime.date`` (empty as None).
    """
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        settle_into(con, invoices, payments, as_of=as_of)
        inv = con.sql(f"select * exclude ({INPUT_ORDER}) from settled_invoice_rows order by {INPUT_ORDER}").df()
        pay = con.sql(f"select * exclude ({INPUT_ORDER}) from settled_payment_rows order by {INPUT_ORDER}").df()
    finally:
        con.close()
    for frame in (inv, pay):
        for c in ("issued_on", "due_on", "fully_paid_on", "last_paid_on", "paid_on"):
            if c in frame.columns:
                frame[c] = keep_where(pd.to_datetime(frame[c]).dt.date.astype("object"), frame[c].notna())
    return Ledger(inv, pay)


#: Column numbering the input rows (see ``register_input``).
INPUT_ORDER = "input_order"

_SQL_PARTS = {
    "inv_key": document_key_sql("invoice_number"),
    "corr_key": document_key_sql("corrects_invoice"),
    "aging": _aging_sql("days_past_due"),
    "cent": CENT,
}

_SETTLE_SQL = """
set preserve_insertion_order = false;

create or replace temp table docs as
select input_order, customer_code, issued_on, due_on, amount, currency,
       {inv_key} as doc_key,
       {corr_key} as corrects_key,
       coalesce(document_type, 'invoice') = 'credit_note' as is_credit_note
from inv_in;

-- Invoice numbers booked twice: only those rows are ranked (the first in file order keeps the number).
create or replace temp table number_rank as
with twice as (
    select doc_key from docs where not is_credit_note and doc_key is not null group by 1 having count(*) > 1
)
select d.input_order,
       row_number() over (partition by d.doc_key
                          order by i.source_name, i.source_file, i.sheet, i.row_number, d.input_order) as key_rank
from docs d semi join twice using (doc_key)
join inv_in i using (input_order)
where not d.is_credit_note;

create or replace temp table known as
select d.doc_key, d.currency, d.issued_on, d.amount
from docs d left join number_rank r using (input_order)
where not d.is_credit_note and d.doc_key is not null and coalesce(r.key_rank, 1) = 1;

create or replace temp table credit_docs as
select c.input_order, c.corrects_key, c.amount,
       case when c.amount is null then 'unusable'
            when k.doc_key is null then 'unknown_invoice'
            when c.currency is distinct from k.currency then 'currency_mismatch'
            else 'applied' end as credit_status
from docs c left join known k on k.doc_key = c.corrects_key
where c.is_credit_note;

create or replace temp table credited as
select corrects_key as doc_key, round(sum(abs(amount)), 2) as credited_amount, count(*) as credit_notes
from credit_docs where credit_status = 'applied' group by 1;

create or replace temp table due as
select k.doc_key,
       case when k.amount is null then null
            else round(greatest(abs(k.amount) - coalesce(c.credited_amount, 0), 0.0), 2) end as amount_due,
       coalesce(c.credited_amount, 0) as credited_amount,
       coalesce(c.credit_notes, 0) as credit_notes
from known k left join credited c using (doc_key);

create or replace temp table pay as
select input_order, customer_code, paid_on, amount, currency,
       {inv_key} as doc_key,
       hash(source_name, source_file, sheet, payment_id, invoice_number, customer_code, paid_on, amount, currency)
           as copy_hash
from pay_in;

-- Exact copies of a payment row: only rows sharing a hash with another are ranked, by their real values.
create or replace temp table copy_rank as
with shared as (select copy_hash from pay group by 1 having count(*) > 1)
select input_order,
       row_number() over (
           partition by source_name, source_file, sheet, payment_id, invoice_number, customer_code,
                        paid_on, amount, currency
           order by row_number, input_order) as copy_no
from pay_in semi join (select input_order from pay semi join shared using (copy_hash)) using (input_order);

create or replace temp table settled_payment as
select p.input_order, p.doc_key as invoice_key, p.customer_code, p.paid_on, p.amount, p.currency,
       case when coalesce(r.copy_no, 1) > 1 then 'duplicate'
            when p.paid_on is null or p.amount is null then 'unusable'
            when p.paid_on > {as_of} then 'after_as_of'
            when k.doc_key is null then 'unknown_invoice'
            when p.currency is distinct from k.currency then 'currency_mismatch'
            else 'applied' end as status,
       coalesce(p.paid_on < k.issued_on, false) as is_dated_before_invoice,
       o.customer_id
from pay p
left join copy_rank r using (input_order)
left join known k on k.doc_key = p.doc_key
left join {owners} o on o.customer_code = p.customer_code;

drop table pay;
drop table copy_rank;

-- Payments of one day reach the amount due on that day whatever their order within it, so the running sum
-- is ordered by day and then by input row (a number, cheaper than the file name).
create or replace temp table paid as
with applied as (
    select p.invoice_key as doc_key, p.paid_on, p.amount,
           sum(p.amount) over (partition by p.invoice_key order by p.paid_on, p.input_order
                               rows between unbounded preceding and current row) as cum_paid
    from settled_payment p where p.status = 'applied'
)
select a.doc_key,
       round(sum(a.amount), 2) as paid_amount,
       count(*) as payments,
       max(a.paid_on) as last_paid_on,
       min(a.paid_on) filter (where a.cum_paid >= d.amount_due - {cent} and d.amount_due > {cent}) as fully_paid_on
from applied a join due d using (doc_key)
group by 1;

create or replace temp table settled_invoice as
with base as (
    select i.input_order, i.doc_key as invoice_key,
           case when i.is_credit_note then 'credit_note' else 'invoice' end as document_type,
           i.customer_code, i.issued_on, i.due_on, i.amount as amount_booked, i.currency,
           i.corrects_key as corrects_invoice_key,
           not i.is_credit_note and coalesce(i.amount < 0, false) as is_negative_amount,
           coalesce(r.key_rank > 1, false) as is_duplicate_number,
           i.is_credit_note,
           c.credit_status,
           i.is_credit_note or coalesce(r.key_rank > 1, false) as is_not_settled
    from docs i
    left join number_rank r using (input_order)
    left join credit_docs c using (input_order)
),
joined as (
    select b.*,
           case when b.is_not_settled then null else d.amount_due end as amount_due,
           case when b.is_not_settled then null else d.credited_amount end as credited_amount,
           case when b.is_not_settled then null else coalesce(p.paid_amount, 0) end as paid_amount,
           case when b.is_not_settled then null else coalesce(p.payments, 0) end as payments,
           case when b.is_not_settled then null else p.last_paid_on end as last_paid_on,
           case when b.is_not_settled then null else p.fully_paid_on end as fully_paid_on
    from base b
    left join due d on d.doc_key = b.invoice_key and not b.is_not_settled
    left join paid p on p.doc_key = b.invoice_key and not b.is_not_settled
),
status as (
    select *,
           case when is_credit_note then 'credit_note'
                when is_duplicate_number then 'duplicate_number'
                when invoice_key is null or amount_due is null then 'unusable'
                when amount_due <= {cent} then 'cancelled'
                when fully_paid_on is not null then 'paid'
                when due_on is not null and due_on < {as_of} then 'overdue'
                else 'open' end as status
    from joined
),
timing as (
    select *,
           case when status = 'paid' and due_on is not null then date_diff('day', due_on, fully_paid_on)
                when status = 'overdue' then date_diff('day', due_on, {as_of}) end as days_from_due,
           case when status in ('open', 'overdue') and due_on is not null
                then date_diff('day', due_on, {as_of}) end as days_past_due
    from status
)
select t.input_order, invoice_key, document_type, customer_code, issued_on, due_on, amount_booked, currency,
       corrects_invoice_key, credit_status, is_negative_amount, is_duplicate_number,
       amount_due, credited_amount, paid_amount, payments, last_paid_on, fully_paid_on, status,
       days_from_due,
       case when days_from_due is not null then greatest(days_from_due, 0) end as days_late,
       case when days_from_due is null then null else days_from_due <= 0 end as is_paid_on_time,
       case when status in ('open', 'overdue') then round(greatest(amount_due - paid_amount, 0), 2)
            when status in ('paid', 'cancelled') then 0.0 end as open_amount,
       case when status in ('open', 'overdue') then {aging} end as aging_bucket,
       o.customer_id
from timing t
left join {owners} o using (customer_code);

drop table docs;
drop table number_rank;
drop table known;
drop table credit_docs;
drop table credited;
drop table due;
drop table paid;

create or replace temp view settled_invoice_rows as
select i.record_id, i.source_name, i.source_file, i.sheet, i.row_number, i.responsible, i.invoice_number,
       s.invoice_key, s.document_type, s.customer_code, s.issued_on, s.due_on, s.amount_booked, s.currency,
       i.corrects_invoice, s.corrects_invoice_key, s.credit_status, s.is_negative_amount, s.is_duplicate_number,
       s.amount_due, s.credited_amount, s.paid_amount, s.payments, s.last_paid_on, s.fully_paid_on, s.status,
       s.days_from_due, s.days_late, s.is_paid_on_time, s.open_amount, s.aging_bucket, s.customer_id,
       s.input_order
from inv_in i join settled_invoice s using (input_order);

create or replace temp view settled_payment_rows as
select i.record_id, i.source_name, i.source_file, i.sheet, i.row_number, i.responsible,
       i.payment_id, i.invoice_number, s.invoice_key, s.customer_code, s.paid_on, s.amount, s.currency,
       s.status, s.is_dated_before_invoice, s.customer_id, s.input_order
from pay_in i join settled_payment s using (input_order);
"""
