"""From the accounting export to each customer's reliability: settle, roll up, classify, model, compare notes.

Everything here is pure (tables in, tables out); the stage (transforms.pipeline.receivables_stage) reads and
writes the files. Roll-ups happen twice: per accounting customer (customer code) and per linked customer
(the customer id the linkage stage gave the code's accounting row). Without links, the customer-level
roll-up falls back to the customer code and customer_id stays empty.

The ledger (millions of invoice and payment rows) never leaves one in-memory DuckDB connection as Python
objects: it is scanned from Arrow, settled and rolled up in SQL, and handed back as Arrow tables for writing.
Only per-customer rows become pandas frames, and the model reads numeric arrays.
"""

from __future__ import annotations

import datetime as dt
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pandas as pd

from transforms.lineage import RECORD_LINEAGE
from transforms.receivables.classify import classify, trend
from transforms.receivables.history_class import (
    ClassPatterns,
    class_index,
    classify_history,
    evidence_in,
    explain,
    fit_patterns,
    label_names,
    reasons_in,
)
from transforms.receivables.ledger import Frame, settle_into
from transforms.receivables.metrics import class_inputs_on, fetch_frame, metrics_tables
from transforms.receivables.model import History, LateModel, customer_risk, rule_days, train
from transforms.receivables.model_cache import TrainedModel, model_key, reusable
from transforms.receivables.notes import disagreements, note_rows
from transforms.receivables.settings import ReliabilitySettings
from transforms.warehouse.table_schemas import columns

log = logging.getLogger(__name__)

CODE_PREFIX = "code:"


@dataclass
class Assessment:
    """The stage's results: the ledger files written, and one frame per per-customer table."""

    invoices: Path | None
    payments: Path | None
    accounts: pd.DataFrame
    customers: pd.DataFrame
    balances: pd.DataFrame
    failures: pd.DataFrame
    model: LateModel
    note_metric: pd.DataFrame = field(default_factory=pd.DataFrame)
    counts: dict[str, Any] = field(default_factory=dict)
    patterns: ClassPatterns | None = None
    #: The late-payment model with when it was trained (tonight, or a kept model tonight scored with).
    trained: TrainedModel | None = None
    #: Whether the model was trained tonight, and why it was or was not (``model_cache.reusable``).
    trained_tonight: bool = True
    training_reason: str = ""


_OWNER_SQL = """
create or replace temp table owner as
with joined as (
    select c.customer_code, l.customer_id, count(*) as n
    from contacts c join links l using (record_id)
    where c.source_kind = 'accounting_customers' and c.customer_code is not null and l.customer_id is not null
    group by all
)
select customer_code, first(customer_id order by n desc, customer_id) as customer_id from joined group by 1
"""


def _owners(con: duckdb.DuckDBPyConnection, linked: bool) -> None:
    """Table ``owner(customer_code, customer_id)``: the customer each accounting code belongs to.

    The code's accounting-customer rows lead to it through their links; a code on two rows takes the customer
    most of them link to (ties: the smallest id). Without links the table is empty.
    """
    if linked:
        con.execute(_OWNER_SQL)
    else:
        con.execute("create or replace temp table owner (customer_code varchar, customer_id varchar)")


def _with_key(con: duckdb.DuckDBPyConnection, name: str, settled: str) -> None:
    """View ``name``: the settled rows with the roll-up key (the customer id, else the accounting code)."""
    con.execute(
        f"create or replace temp view {name} as "
        f"select *, coalesce(customer_id, '{CODE_PREFIX}' || customer_code) as customer_key from {settled}"
    )


def _rule_classes(con: duckdb.DuckDBPyConnection, days: list[dt.date], settings: ReliabilitySettings) -> Any:
    """The rule's class of every customer (by number) from what was known the day before each of ``days``.

    Computed before the model trains (the backtests compare the model with these classes), so that training
    needs nothing more from DuckDB while the ledger is being written.
    """
    classes = {}
    for day in days:
        inputs = class_inputs_on(con, "facts", key="n", day=day, settings=settings)
        classes[day] = pd.Series(classify(inputs, settings).to_numpy(), index=inputs["n"].to_numpy())
    return classes.__getitem__


def _register(con: duckdb.DuckDBPyConnection, name: str, frame: Frame | None, columns: list[str]) -> None:
    """View ``name`` over ``frame`` (a Parquet file, Arrow table or frame), with empty ``columns`` added
    where the frame lacks them."""
    if frame is None:
        empty = ", ".join(f"null::varchar as {c}" for c in columns)
        con.execute(f"create or replace temp view {name} as select {empty} where false")
        return
    if isinstance(frame, Path):
        path = str(frame).replace("'", "''")
        con.execute(f"create or replace temp view {name}_raw as select * from read_parquet('{path}')")
    else:
        con.register(f"{name}_raw", frame)
    present = [row[0] for row in con.execute(f"describe {name}_raw").fetchall()]
    parts = ['"' + c.replace('"', '""') + '"' for c in present]
    parts += [f"null::{'bigint' if c == 'row_number' else 'varchar'} as {c}" for c in columns if c not in present]
    con.execute(f"create or replace temp view {name} as select {', '.join(parts)} from {name}_raw")


def assess(
    invoices: Frame,
    payments: Frame,
    contacts: Frame,
    links: Frame | None,
    *,
    as_of: dt.date,
    run_id: str,
    settings: ReliabilitySettings,
    base_currency: str,
    ledger: Path | tuple[Path, Path],
    note_field: str | None = None,
    extracts: pd.DataFrame | None = None,
    kept_model: TrainedModel | None = None,
    asked_full: bool = False,
) -> Assessment:
    """Settle the export and compute every customer's class, metrics and late-payment risk.

    ``contacts`` are the standardized contact rows (record_id, source_kind, customer_code, the location,
    responsible and, for notes, attributes); ``links`` the linkage stage's record_id -> customer_id, or None.
    The settled ledger (invoices and payments) is written to ``ledger`` straight from DuckDB: millions of rows
    never become Python objects. ``ledger`` is a folder (``invoice.parquet`` and ``payment.parquet`` in it) or the
    two files.
    ``note_field`` names the hand-typed reliability note to compare (``extracts`` holds that column of the
    extracted spreadsheets when standardize does not keep it). ``kept_model``: a late-payment model trained on
    an earlier night, scored with tonight instead of training one when it is recent enough
    (``model_cache.reusable``; never when ``asked_full``).
    """
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        return _assess(
            con,
            invoices,
            payments,
            contacts,
            links,
            as_of=as_of,
            run_id=run_id,
            settings=settings,
            base_currency=base_currency,
            ledger=ledger if isinstance(ledger, tuple) else (ledger / "invoice.parquet", ledger / "payment.parquet"),
            note_field=note_field,
            extracts=extracts,
            kept_model=kept_model,
            asked_full=asked_full,
        )
    finally:
        con.close()


_NUMBERED_SQL = """
create or replace temp table cust_keys as
with listed as ({listed})
select customer_key, (row_number() over (order by customer_key) - 1)::bigint as n
from (select distinct k as customer_key from (select customer_key as k from inv union all select * from listed)
      where k is not null);

create or replace temp table facts as
select k.n, i.customer_code, i.status, i.currency, i.issued_on, i.due_on, i.fully_paid_on, i.amount_due,
       i.open_amount, i.days_late, i.is_paid_on_time
from inv i join cust_keys k using (customer_key)
where i.status in ('paid', 'overdue', 'open');

create or replace temp table key_code as
select n, count(distinct customer_code) as codes, min(customer_code) as customer_code
from facts where customer_code is not null group by 1;
"""


def _number_customers(con: duckdb.DuckDBPyConnection, *, linked: bool) -> int:
    """Number every customer the mart lists (0..k-1 in key order) and keep the invoices the metrics read.

    The customers are the linked customers (or, without links, the accounting codes) and anyone invoiced.
    Table ``facts`` holds the invoices with something to pay, by customer number: the roll-ups, backtests
    and the model group by a number instead of text.
    """
    listed = (
        "select customer_id from links"
        if linked
        else f"select '{CODE_PREFIX}' || customer_code from contacts "
        "where source_kind = 'accounting_customers' and customer_code is not null"
    )
    con.execute(_NUMBERED_SQL.format(listed=listed))
    count: int = con.execute("select count(*) from cust_keys").fetchall()[0][0]
    return count


def _customer_rows(con: duckdb.DuckDBPyConnection, metric_args: dict[str, Any]) -> None:
    """Tables ``customer_metrics_row`` / ``customer_metrics_balance``: metrics per customer number.

    A customer with one accounting code has exactly its account's metrics (the same invoices), so only
    customers holding several codes are rolled up again.
    """
    con.execute(
        "create or replace temp view several_codes as "
        "select * from facts semi join (select n from key_code where codes > 1) using (n)"
    )
    metrics_tables(con, "several_codes", key="n", prefix="several", **metric_args)
    for part in ("row", "balance"):
        con.execute(
            f"create or replace temp table customer_metrics_{part} as "
            f"select s.n as ckey, a.* exclude (ckey) from key_code s join account_{part} a on a.ckey = s.customer_code "
            f"where s.codes = 1 union all by name select * from several_{part}"
        )


_CUSTOMERS_SQL = """
with codes as (
    select customer_key, string_agg(distinct customer_code, ', ' order by customer_code) as customer_codes
    from inv where customer_key is not null and customer_code is not null group by 1
)
select k.customer_key, k.n,
       case when starts_with(k.customer_key, '{code}') then null else k.customer_key end as customer_id,
       coalesce(c.customer_codes,
                case when starts_with(k.customer_key, '{code}') then k.customer_key[{after}:] end) as customer_codes,
       r.* exclude (ckey)
from cust_keys k
left join codes c using (customer_key)
left join customer_metrics_row r on r.ckey = k.n
order by k.n
"""


def _assess(
    con: duckdb.DuckDBPyConnection,
    invoices: Frame,
    payments: Frame,
    contacts: Frame,
    links: Frame | None,
    *,
    as_of: dt.date,
    run_id: str,
    settings: ReliabilitySettings,
    base_currency: str,
    ledger: tuple[Path, Path],
    note_field: str | None,
    extracts: pd.DataFrame | None,
    kept_model: TrainedModel | None,
    asked_full: bool,
) -> Assessment:
    _register(con, "contacts", contacts, [*RECORD_LINEAGE, "customer_code"])
    _register(con, "links", links, ["record_id", "customer_id"])
    linked = links is not None and con.execute("select count(*) from links").fetchall()[0][0] > 0
    _owners(con, linked)
    settle_into(con, invoices, payments, as_of=as_of, owners="owner")
    _with_key(con, "inv", "settled_invoice")
    _with_key(con, "pay", "settled_payment")
    count = _number_customers(con, linked=linked)
    metric_args: dict[str, Any] = {"as_of": as_of, "settings": settings, "base_currency": base_currency}

    metrics_tables(con, "facts", key="customer_code", prefix="account", **metric_args)
    accounts = fetch_frame(
        con,
        "select a.ckey as customer_code, a.* exclude (ckey), o.customer_id from account_row a "
        "left join owner o on o.customer_code = a.ckey order by a.ckey",
    )
    accounts["trend"] = trend(accounts, settings)

    _customer_rows(con, metric_args)
    customers = fetch_frame(con, _CUSTOMERS_SQL.format(code=CODE_PREFIX, after=len(CODE_PREFIX) + 1))
    customers["invoices"] = customers["invoices"].fillna(0).astype("int64")
    customers["invoices_due"] = customers["invoices_due"].fillna(0).astype("int64")
    customers["trend"] = trend(customers, settings)
    patterns = _classes(con, accounts, customers, count=count, as_of=as_of, settings=settings)

    history = History.from_numbered(con, "facts", key="n", count=count)
    key = model_key(settings, base_currency)
    trained, reason = reusable(
        kept_model, key=key, as_of=as_of, invoices=len(history), settings=settings, asked_full=asked_full
    )
    # The rule's classes on the backtests' days are asked for by training only.
    rule_at = _rule_classes(con, rule_days(as_of, settings.model), settings) if trained is None else None
    balances = fetch_frame(
        con,
        "select k.customer_key, b.* exclude (ckey) from customer_metrics_balance b "
        "join cust_keys k on k.n = b.ckey order by k.n, b.currency",
    )
    failures, note_counts, note_metric = _notes(
        con, customers, note_field, extracts, linked=links is not None, as_of=as_of, run_id=run_id, settings=settings
    )
    counts: dict[str, Any] = {**_ledger_counts(con), "customers": len(customers)}

    # The ledger is written (DuckDB, off the GIL) while the model trains (numpy and scikit-learn).
    stamp = f"date '{as_of.isoformat()}' as as_of, '{run_id.replace(chr(39), chr(39) * 2)}' as run_id"
    with ThreadPoolExecutor(max_workers=1) as pool:
        written = pool.submit(_write_ledgers, con, stamp, ledger)
        if trained is None:
            assert rule_at is not None
            lm = train(history, as_of=as_of, settings=settings, rule_at=rule_at)
            trained_tonight = True
            trained = TrainedModel(key=key, trained_on=as_of, run_id=run_id, invoices=len(history), model=lm)
        else:
            lm, trained_tonight = trained.model, False
        log.info("late-payment model %s: %s", "trained" if trained_tonight else "kept", reason)
        # The model's fallback rates are the median rule's classes' (those its backtests class customers by).
        customers["late_payment_risk"] = customer_risk(
            lm, history, customers["n"], customers["median_rule_class"], as_of=as_of
        ).to_numpy()
        invoice_path, payment_path = written.result()

    customers = _customer_columns(customers.drop(columns=["n"]))
    balances = balances.merge(
        customers[["customer_key", "customer_id", "customer_codes"]], on="customer_key", how="left"
    )
    counts["customers_by_class"] = {str(k): int(v) for k, v in customers["reliability_class"].value_counts().items()}
    counts.update(note_counts)
    for frame in (accounts, customers, balances):
        frame["as_of"] = as_of
        frame["run_id"] = run_id
    return Assessment(
        invoices=invoice_path,
        payments=payment_path,
        accounts=accounts,
        customers=customers,
        balances=balances,
        failures=failures,
        note_metric=note_metric,
        model=lm,
        counts=counts,
        patterns=patterns,
        trained=trained,
        trained_tonight=trained_tonight,
        training_reason=reason,
    )


def _classes(
    con: duckdb.DuckDBPyConnection,
    accounts: pd.DataFrame,
    customers: pd.DataFrame,
    *,
    count: int,
    as_of: dt.date,
    settings: ReliabilitySettings,
) -> ClassPatterns | None:
    """Each account's and customer's class, its probability, certainty and reason (columns added in place).

    The median rule's class is kept beside (``median_rule_class``). The classes' patterns of payment are
    learnt from the accounts (one per accounting code, as the accounting knows them) and then applied to the
    linked customers, whose invoices may span several codes.
    """
    c = settings.classes
    for frame in (accounts, customers):
        frame["median_rule_class"] = classify(frame, settings)
    con.execute(
        "create or replace temp table account_number as "
        "select ckey, (row_number() over (order by ckey) - 1)::bigint as k from account_row"
    )
    con.execute("create or replace temp table customer_number as select n as ckey, n as k from cust_keys")
    acc_ev = evidence_in(
        con, "facts", key="customer_code", numbers="account_number", keys=len(accounts), as_of=as_of, table="acc_ev"
    )
    cus_ev = evidence_in(con, "facts", key="n", numbers="customer_number", keys=count, as_of=as_of, table="cus_ev")
    patterns = fit_patterns(acc_ev, class_index(accounts["median_rule_class"]), c)
    for frame, ev, table in ((accounts, acc_ev, "acc_ev"), (customers, cus_ev, "cus_ev")):
        result = classify_history(ev, patterns, c)
        text = reasons_in(con, table, ev.keys, c)
        frame["reliability_class"] = (
            label_names(result.label) if c.method == "history" else frame["median_rule_class"].to_numpy()
        )
        frame["class_probability"] = result.probability
        frame["class_certainty"] = pd.Series(result.certainty, index=frame.index).replace("", None)
        frame["reliability_reason"] = (
            explain(text, result, frame["median_rule_class"]) if c.method == "history" else text
        )
        con.execute(f"drop table {table}")
    return patterns


def _write_ledgers(
    con: duckdb.DuckDBPyConnection, stamp: str, files: tuple[Path, Path]
) -> tuple[Path | None, Path | None]:
    """The settled invoices and payments into ``files`` (None for a table without rows tonight)."""
    return (
        _write_ledger(con, "settled_invoice_rows", stamp, files[0], table="core.invoice"),
        _write_ledger(con, "settled_payment_rows", stamp, files[1], table="core.payment"),
    )


def _write_ledger(con: duckdb.DuckDBPyConnection, rows: str, stamp: str, path: Path, *, table: str) -> Path | None:
    """Write a ledger table stamped with the night, straight from DuckDB, with the columns of its warehouse
    ``table`` (the settling's own keys left out); None when it is empty.

    Rows are written in no particular order: sorting millions of rows would cost more than the rest of the
    write, and neither the warehouse nor its readers depend on the order of a staged file.
    """
    path.unlink(missing_ok=True)
    if not con.execute(f"select count(*) from {rows}").fetchall()[0][0]:
        return None
    target = str(path).replace("'", "''")
    cols = ", ".join(columns(table))
    con.execute(f"copy (select {cols} from (select *, {stamp} from {rows})) to '{target}' (format parquet)")
    return path


def _notes(
    con: duckdb.DuckDBPyConnection,
    customers: pd.DataFrame,
    note_field: str | None,
    extracts: pd.DataFrame | None,
    *,
    linked: bool,
    as_of: dt.date,
    run_id: str,
    settings: ReliabilitySettings,
) -> tuple[pd.DataFrame, dict[str, int], pd.DataFrame]:
    """The notes that disagree with accounting (dq.failure rows), how many were read and compared, and the
    comparison's dq.metric rows."""
    if note_field is None:
        return pd.DataFrame(), {}, pd.DataFrame()
    rows = note_rows(con, "contacts", note_field, extracts)
    if not len(rows):
        return pd.DataFrame(), {}, pd.DataFrame()
    if not linked:
        log.info("reliability notes not compared: no customer links in this run")
        return pd.DataFrame(), {"notes": len(rows), "notes_compared": 0}, pd.DataFrame()
    con.register("note_rows", rows[["record_id"]])
    owners = con.sql("select n.record_id, l.customer_id from note_rows n left join links l using (record_id)").df()
    con.unregister("note_rows")
    rows = rows.merge(owners.drop_duplicates("record_id"), on="record_id", how="left")
    return disagreements(rows, customers[customers["customer_id"].notna()], settings.note, as_of=as_of, run_id=run_id)


def _ledger_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """What the ledger's rules did tonight, for the log and the manifest."""
    inv = con.execute(
        "select count(*) filter (where document_type = 'invoice') as invoices, "
        "count(*) filter (where document_type = 'credit_note') as credit_notes, "
        "count(*) filter (where is_negative_amount) as negative_amount_invoices, "
        "count(*) filter (where is_duplicate_number) as duplicate_invoice_numbers, "
        "count(*) filter (where document_type = 'credit_note' and credit_status is distinct from 'applied') "
        "as credit_notes_not_applied from inv"
    ).fetchall()[0]
    names = ["invoices", "credit_notes", "negative_amount_invoices", "duplicate_invoice_numbers"]
    counts = dict(zip([*names, "credit_notes_not_applied"], map(int, inv), strict=True))
    for status, n in con.execute("select status, count(*) from pay group by 1 order by 2 desc, 1").fetchall():
        counts[f"payments_{status}"] = int(n)
    counts["payments"] = sum(v for k, v in counts.items() if k.startswith("payments_"))
    dated = con.execute("select count(*) filter (where is_dated_before_invoice) from pay").fetchall()
    counts["payments_dated_before_invoice"] = int(dated[0][0])
    return counts


def _customer_columns(customers: pd.DataFrame) -> pd.DataFrame:
    """The per-customer columns as the mart types them (counts that may be empty as nullable integers)."""
    out = customers.copy()
    out["late_payment_risk"] = np.round(out["late_payment_risk"].astype("float64"), 4)
    for c in ("invoices_overdue", "recent_invoices_due", "currencies", "oldest_overdue_days"):
        out[c] = pd.to_numeric(out[c]).astype("Int64")
    return out
