"""Payment behaviour per customer, from settled invoices: what is due, how late it is paid, what is still owed.

Every measure of lateness uses the invoices *due* (paid, or unpaid past their due date): an invoice not yet due
and not yet paid says nothing about the customer. Balances and DSO stay in their currency: one row per
customer and currency in the balances frame; the customer row shows its main currency's (the currency of most
of its invoices; the base currency wins a tie) and names the others.

The amount-weighted days late weighs each invoice by its amount over the customer's average invoice in the
same currency, so a customer billed in two currencies is weighed fairly without converting anything.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import duckdb
import pandas as pd

from transforms.receivables.settings import ReliabilitySettings

_REAL = "status in ('paid', 'overdue', 'open')"


@dataclass(frozen=True)
class CustomerMetrics:
    """One row per customer (``customers``) and one per customer and currency (``balances``)."""

    customers: pd.DataFrame
    balances: pd.DataFrame


def _months_back(day: dt.date, months: int) -> dt.date:
    total = day.year * 12 + day.month - 1 - months
    year, month = divmod(total, 12)
    month += 1
    last = (dt.date(year + (month == 12), month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(day.day, last))


def _params(as_of: dt.date, settings: ReliabilitySettings, base_currency: str) -> dict[str, object]:
    recent = _months_back(as_of, settings.trend.recent_months)
    window = as_of - dt.timedelta(days=settings.dso_window_days)
    return {
        "as_of": f"date '{as_of.isoformat()}'",
        "recent": f"date '{recent.isoformat()}'",
        "window": f"date '{window.isoformat()}'",
        "window_days": settings.dso_window_days,
        "defaulted": settings.classes.non_payer.min_days_overdue,
        "base": base_currency.replace("'", ""),
        "real": _REAL,
    }


def metrics_tables(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    key: str,
    prefix: str,
    as_of: dt.date,
    settings: ReliabilitySettings,
    base_currency: str,
) -> None:
    """Metrics per value of ``key`` over the settled invoices in ``relation`` (a table or view of ``con``).

    Leaves two tables in ``con``: ``{prefix}_row`` (one row per key, the key in column ``ckey``) and
    ``{prefix}_balance`` (one per key and currency), so that callers can combine roll-ups in SQL and fetch
    one frame at the end instead of merging millions of rows in pandas.
    """
    cols = ["status", "currency", "issued_on", "due_on", "amount_due", "open_amount", "days_late", "is_paid_on_time"]
    con.execute(
        f"create or replace temp view metric_input as select {key} as ckey, {', '.join(cols)} "
        f"from {relation} where {key} is not null"
    )
    con.execute(_METRICS_SQL.format(**_params(as_of, settings, base_currency)))
    con.execute(f"create or replace temp table {prefix}_row as select * from customer_row")
    con.execute(f"create or replace temp table {prefix}_balance as select * from balance")
    for table in ("real_inv", "balance", "main_currency", "behaviour", "customer_row"):
        con.execute(f"drop table {table}")


def fetch_frame(con: duckdb.DuckDBPyConnection, sql: str) -> pd.DataFrame:
    """A query's rows as a frame, dates as ``datetime.date`` (what Parquet and the warehouse take as dates)."""
    frame: pd.DataFrame = con.sql(sql).to_arrow_table().to_pandas(date_as_object=True)
    return frame


def metrics_in(
    con: duckdb.DuckDBPyConnection,
    relation: str,
    *,
    key: str,
    as_of: dt.date,
    settings: ReliabilitySettings,
    base_currency: str,
) -> CustomerMetrics:
    """Metrics per value of ``key`` over the settled invoices in ``relation``, as frames ordered by key."""
    metrics_tables(
        con, relation, key=key, prefix="metrics", as_of=as_of, settings=settings, base_currency=base_currency
    )
    customers = fetch_frame(con, "select * from metrics_row order by ckey").rename(columns={"ckey": key})
    balances = fetch_frame(con, "select * from metrics_balance order by ckey, currency").rename(columns={"ckey": key})
    return CustomerMetrics(customers, balances)


def customer_metrics(
    invoices: pd.DataFrame,
    *,
    key: str,
    as_of: dt.date,
    settings: ReliabilitySettings,
    base_currency: str,
) -> CustomerMetrics:
    """Metrics per value of ``key`` (customer_code, or a customer id) over settled invoices (ledger.settle)."""
    frame = invoices[[key, "status", "currency", "amount_due", "open_amount", "days_late", "is_paid_on_time"]].copy()
    frame["issued_on"] = pd.to_datetime(invoices["issued_on"])
    frame["due_on"] = pd.to_datetime(invoices["due_on"])
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        con.register("settled", frame)
        con.execute(
            "create or replace temp view settled_typed as select * replace "
            "(issued_on::date as issued_on, due_on::date as due_on) from settled"
        )
        return metrics_in(con, "settled_typed", key=key, as_of=as_of, settings=settings, base_currency=base_currency)
    finally:
        con.close()


#: What the class needs of each customer as things stood on a past day (see ``class_inputs_on``).
_CLASS_INPUTS_SQL = """
with known as (
    select {key} as ckey,
           coalesce(fully_paid_on < {day}, false) as paid,
           coalesce(due_on < {last_day}, false) as passed,
           due_on, fully_paid_on
    from {relation}
    where {key} is not null and issued_on < {day} and status in ('paid', 'overdue', 'open')
),
timed as (
    select ckey,
           case when paid then date_diff('day', due_on, fully_paid_on)
                when passed then date_diff('day', due_on, {last_day}) end as from_due,
           not paid and passed and date_diff('day', due_on, {last_day}) >= {defaulted} as is_defaulted
    from known
)
select ckey,
       count(from_due) as invoices_due,
       quantile_cont(greatest(from_due, 0), 0.5) filter (where from_due is not null) as median_days_late,
       avg(is_defaulted::int) filter (where from_due is not null) as share_defaulted
from timed group by 1 order by 1
"""


def class_inputs_on(
    con: duckdb.DuckDBPyConnection, relation: str, *, key: str, day: dt.date, settings: ReliabilitySettings
) -> pd.DataFrame:
    """What the class reads (invoices due, median days late, share defaulted) as known the day before ``day``.

    The invoices are those issued before ``day``; one counts as paid only if paid in full before it, and as
    due once its due date was before the day before. Amounts and credit notes are tonight's: the class does
    not read amounts. The backtests of the late-payment model classify customers this way at past days
    without settling the ledger again.
    """
    sql = _CLASS_INPUTS_SQL.format(
        key=key,
        relation=relation,
        day=f"date '{day.isoformat()}'",
        last_day=f"date '{(day - dt.timedelta(days=1)).isoformat()}'",
        defaulted=settings.classes.non_payer.min_days_overdue,
    )
    inputs: pd.DataFrame = con.sql(sql).df()
    return inputs.rename(columns={"ckey": key})


_METRICS_SQL = """
create or replace temp table real_inv as
select *,
       days_late is not null as is_due,
       status = 'overdue' and date_diff('day', due_on, {as_of}) >= {defaulted} as is_defaulted,
       amount_due / nullif(avg(amount_due) over (partition by ckey, currency), 0) as weight
from metric_input where {real};

create or replace temp table balance as
select ckey, currency,
       count(*) as invoices,
       round(sum(open_amount), 2) as open_balance,
       round(coalesce(sum(open_amount) filter (where status = 'overdue'), 0), 2) as overdue_balance,
       round(coalesce(sum(amount_due) filter (where issued_on > {window}), 0), 2) as invoiced_in_window,
       case when coalesce(sum(amount_due) filter (where issued_on > {window}), 0) > 0
            then round(sum(open_amount) / sum(amount_due) filter (where issued_on > {window}) * {window_days}, 1)
       end as dso
from real_inv group by all;

create or replace temp table main_currency as
select ckey, arg_max(currency, invoices * 2 + (currency = '{base}')::int) as currency,
       string_agg(case when invoices > 0 then currency || ' ' || printf('%.2f', open_balance) end, '; '
                  order by currency) as balances_by_currency,
       count(*) as currencies
from balance group by 1;

create or replace temp table behaviour as
select ckey,
       count(*) as invoices,
       count(*) filter (where is_due) as invoices_due,
       count(*) filter (where status = 'overdue') as invoices_overdue,
       avg(is_paid_on_time::int) filter (where is_due) as share_paid_on_time,
       quantile_cont(days_late, 0.5) filter (where is_due) as median_days_late,
       sum(weight * days_late) filter (where is_due) / nullif(sum(weight) filter (where is_due), 0)
           as weighted_days_late,
       avg(is_defaulted::int) filter (where is_due) as share_defaulted,
       max(date_diff('day', due_on, {as_of})) filter (where status = 'overdue') as oldest_overdue_days,
       min(due_on) filter (where status = 'overdue') as oldest_overdue_on,
       quantile_cont(days_late, 0.5) filter (where is_due and due_on >= {recent}) as recent_median_days_late,
       quantile_cont(days_late, 0.5) filter (where is_due and due_on < {recent}) as earlier_median_days_late,
       count(*) filter (where is_due and due_on >= {recent}) as recent_invoices_due,
       min(issued_on) as first_invoice_on,
       max(issued_on) as last_invoice_on
from real_inv group by 1;

create or replace temp table customer_row as
select b.*,
       m.currency, m.currencies, m.balances_by_currency,
       bal.open_balance, bal.overdue_balance, bal.dso,
       b.recent_median_days_late - b.earlier_median_days_late as trend_days
from behaviour b
left join main_currency m using (ckey)
left join balance bal on bal.ckey = b.ckey and bal.currency = m.currency;
"""
