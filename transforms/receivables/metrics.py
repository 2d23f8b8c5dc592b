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

from transforms.receivables.nulls import keep_where
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


def customer_metrics(
    invoices: pd.DataFrame,
    *,
    key: str,
    as_of: dt.date,
    settings: ReliabilitySettings,
    base_currency: str,
) -> CustomerMetrics:
    """Metrics per value of ``key`` (customer_code, or a customer id) over settled invoices (ledger.settle)."""
    cols = ["status", "currency", "issued_on", "due_on", "amount_due", "open_amount", "days_late", "is_paid_on_time"]
    frame = invoices[[key, *cols]].rename(columns={key: "ckey"})
    frame = frame[frame["ckey"].notna()]
    frame["issued_on"] = pd.to_datetime(frame["issued_on"])
    frame["due_on"] = pd.to_datetime(frame["due_on"])
    recent = _months_back(as_of, settings.trend.recent_months)
    window = as_of - dt.timedelta(days=settings.dso_window_days)
    params = {
        "as_of": f"date '{as_of.isoformat()}'",
        "recent": f"date '{recent.isoformat()}'",
        "window": f"date '{window.isoformat()}'",
        "window_days": settings.dso_window_days,
        "defaulted": settings.classes.non_payer.min_days_overdue,
        "base": base_currency.replace("'", ""),
        "real": _REAL,
    }
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    try:
        con.register("inv", frame)
        con.execute(_METRICS_SQL.format(**params))
        customers = con.execute("select * from customer_row order by ckey").df()
        balances = con.execute("select * from balance order by ckey, currency").df()
    finally:
        con.close()
    customers = customers.rename(columns={"ckey": key})
    balances = balances.rename(columns={"ckey": key})
    for c in ("oldest_overdue_on", "first_invoice_on", "last_invoice_on"):
        customers[c] = keep_where(pd.to_datetime(customers[c]).dt.date.astype("object"), customers[c].notna())
    return CustomerMetrics(customers, balances)


_METRICS_SQL = """
create or replace temp table real_inv as
select *,
       days_late is not null as is_due,
       status = 'overdue' and date_diff('day', due_on, {as_of}) >= {defaulted} as is_defaulted,
       amount_due / nullif(avg(amount_due) over (partition by ckey, currency), 0) as weight
from inv where {real};

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
