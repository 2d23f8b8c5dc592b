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

import duckdb
import pandas as pd

from transforms.receivables.nulls import keep_where

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

LINEAGE = ["record_id", "source_name", "source_file", "sheet", "row_number"]
INVOICE_INPUT = [
    *LINEAGE,
    "responsible",
    "invoice_number",
    "document_type",
    "customer_code",
    "issued_on",
    "due_on",
    "amount",
    "currency",
    "corrects_invoice",
]
PAYMENT_INPUT = [
    *LINEAGE,
    "responsible",
    "payment_id",
    "invoice_number",
    "customer_code",
    "paid_on",
    "amount",
    "currency",
]


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


def _frame(frame: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """The columns the rules read, typed (dates as dates, amounts as floats), without touching the input."""
    out = pd.DataFrame(index=frame.index)
    for c in columns:
        out[c] = frame[c] if c in frame.columns else None
    for c in ("issued_on", "due_on", "paid_on"):
        if c in out.columns:
            out[c] = pd.to_datetime(out[c], errors="coerce").astype("datetime64[s]")
    out["amount"] = pd.to_numeric(out["amount"], errors="coerce").astype("float64")
    out["row_number"] = pd.to_numeric(out["row_number"], errors="coerce").astype("int64")
    for c in columns:
        if c not in ("issued_on", "due_on", "paid_on", "amount", "row_number"):
            out[c] = keep_where(out[c].astype("object"), out[c].notna())
    return out.reset_index(drop=True)


def settle(
    invoices: pd.DataFrame,
    payments: pd.DataFrame,
    *,
    as_of: dt.date,
    connection: duckdb.DuckDBPyConnection | None = None,
) -> Ledger:
    """Apply credit notes and payments to invoices as of ``as_of`` (payments after it are ignored)."""
    con = connection or duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        con.register("inv_in", _frame(invoices, INVOICE_INPUT))
        con.register("pay_in", _frame(payments, PAYMENT_INPUT))
        con.execute(_SETTLE_SQL.format(as_of=f"date '{as_of.isoformat()}'", **_SQL_PARTS))
        inv = con.execute("select * from settled_invoice order by source_name, source_file, sheet, row_number").df()
        pay = con.execute("select * from settled_payment order by source_name, source_file, sheet, row_number").df()
    finally:
        if connection is None:
            con.close()
    for frame in (inv, pay):
        for c in ("issued_on", "due_on", "fully_paid_on", "last_paid_on", "paid_on"):
            if c in frame.columns:
                frame[c] = keep_where(pd.to_datetime(frame[c]).dt.date.astype("object"), frame[c].notna())
    return Ledger(inv, pay)


_SQL_PARTS = {
    "inv_key": document_key_sql("invoice_number"),
    "corr_key": document_key_sql("corrects_invoice"),
    "aging": _aging_sql("days_past_due"),
    "cent": CENT,
}

_SETTLE_SQL = """
create or replace temp table docs as
select *,
       {inv_key} as doc_key,
       {corr_key} as corrects_key,
       coalesce(document_type, 'invoice') = 'credit_note' as is_credit_note
from inv_in;

create or replace temp table invoice_docs as
select *, row_number() over (partition by doc_key order by source_name, source_file, sheet, row_number) as key_rank
from docs
where not is_credit_note;

create or replace temp table known as
select doc_key, currency, issued_on from invoice_docs where key_rank = 1 and doc_key is not null;

create or replace temp table credit_docs as
select c.*,
       case when c.amount is null then 'unusable'
            when k.doc_key is null then 'unknown_invoice'
            when c.currency is distinct from k.currency then 'currency_mismatch'
            else 'applied' end as credit_status
from docs c left join known k on k.doc_key = c.corrects_key
where c.is_credit_note;

create or replace temp table credited as
select corrects_key as doc_key, round(sum(abs(amount)), 2) as credited_amount, count(*) as credit_notes
from credit_docs where credit_status = 'applied' group by 1;

create or replace temp table pay as
select p.*,
       {inv_key} as doc_key,
       row_number() over (
           partition by source_name, source_file, sheet, payment_id, invoice_number, customer_code,
                        paid_on, amount, currency
           order by row_number) as copy_no
from pay_in p;

create or replace temp table settled_payment as
select p.record_id, p.source_name, p.source_file, p.sheet, p.row_number, p.responsible,
       p.payment_id, p.invoice_number, p.doc_key as invoice_key, p.customer_code, p.paid_on, p.amount, p.currency,
       case when p.copy_no > 1 then 'duplicate'
            when p.paid_on is null or p.amount is null then 'unusable'
            when p.paid_on > {as_of} then 'after_as_of'
            when k.doc_key is null then 'unknown_invoice'
            when p.currency is distinct from k.currency then 'currency_mismatch'
            else 'applied' end as status,
       coalesce(p.paid_on < k.issued_on, false) as is_dated_before_invoice
from pay p left join known k on k.doc_key = p.doc_key;

create or replace temp table due as
select i.doc_key,
       case when i.amount is null then null
            else round(greatest(abs(i.amount) - coalesce(c.credited_amount, 0), 0.0), 2) end as amount_due,
       coalesce(c.credited_amount, 0) as credited_amount,
       coalesce(c.credit_notes, 0) as credit_notes
from invoice_docs i left join credited c using (doc_key)
where i.key_rank = 1 and i.doc_key is not null;

create or replace temp table applied as
select p.invoice_key as doc_key, p.paid_on, p.amount,
       sum(p.amount) over (partition by p.invoice_key order by p.paid_on, p.source_file, p.row_number
                           rows between unbounded preceding and current row) as cum_paid
from settled_payment p where p.status = 'applied';

create or replace temp table paid as
select a.doc_key,
       round(sum(a.amount), 2) as paid_amount,
       count(*) as payments,
       max(a.paid_on) as last_paid_on,
       min(a.paid_on) filter (where a.cum_paid >= d.amount_due - {cent} and d.amount_due > {cent}) as fully_paid_on
from applied a join due d using (doc_key)
group by 1;

create or replace temp table settled_invoice as
with base as (
    select i.record_id, i.source_name, i.source_file, i.sheet, i.row_number, i.responsible,
           i.invoice_number, i.doc_key as invoice_key,
           case when i.is_credit_note then 'credit_note' else 'invoice' end as document_type,
           i.customer_code, i.issued_on, i.due_on, i.amount as amount_booked, i.currency,
           i.corrects_invoice, i.corrects_key as corrects_invoice_key,
           not i.is_credit_note and coalesce(i.amount < 0, false) as is_negative_amount,
           coalesce(r.key_rank > 1, false) as is_duplicate_number,
           i.is_credit_note,
           c.credit_status
    from docs i
    left join invoice_docs r on r.record_id = i.record_id
    left join credit_docs c on c.record_id = i.record_id
),
joined as (
    select b.*,
           case when b.is_credit_note or b.is_duplicate_number then null else d.amount_due end as amount_due,
           case when b.is_credit_note or b.is_duplicate_number then null else d.credited_amount end as credited_amount,
           case when b.is_credit_note or b.is_duplicate_number then null
                else coalesce(p.paid_amount, 0) end as paid_amount,
           case when b.is_credit_note or b.is_duplicate_number then null
                else coalesce(p.payments, 0) end as payments,
           case when b.is_credit_note or b.is_duplicate_number then null else p.last_paid_on end as last_paid_on,
           case when b.is_credit_note or b.is_duplicate_number then null else p.fully_paid_on end as fully_paid_on
    from base b
    left join due d on d.doc_key = b.invoice_key and not b.is_credit_note
    left join paid p on p.doc_key = b.invoice_key and not b.is_credit_note
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
select record_id, source_name, source_file, sheet, row_number, responsible, invoice_number, invoice_key,
       document_type, customer_code, issued_on, due_on, amount_booked, currency, corrects_invoice,
       corrects_invoice_key, credit_status, is_negative_amount, is_duplicate_number,
       amount_due, credited_amount, paid_amount, payments, last_paid_on, fully_paid_on, status,
       days_from_due,
       case when days_from_due is not null then greatest(days_from_due, 0) end as days_late,
       case when days_from_due is null then null else days_from_due <= 0 end as is_paid_on_time,
       case when status in ('open', 'overdue') then round(greatest(amount_due - paid_amount, 0), 2)
            when status in ('paid', 'cancelled') then 0.0 end as open_amount,
       case when status in ('open', 'overdue') then {aging} end as aging_bucket
from timing;
"""
