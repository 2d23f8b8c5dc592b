-- Grain: one row per customer (or accounting code without links) and currency, of the last published night.
-- Key: (customer_id else customer_codes, currency). Invariant: overdue_balance <= open_balance.
create table if not exists marts.customer_balance (
    customer_id varchar,
    customer_codes varchar,
    currency varchar not null,
    invoices bigint not null,
    open_balance double precision not null,
    overdue_balance double precision not null,
    invoiced_in_window double precision not null,
    dso double precision,
    as_of date not null,
    run_id varchar not null
);
comment on table marts.customer_balance is 'Open and overdue balance and DSO of each customer in each of its currencies (amounts are never converted).';
comment on column marts.customer_balance.customer_id is 'The customer (core.customer); empty when the run has no links.';
comment on column marts.customer_balance.customer_codes is 'The accounting codes rolled up into the customer, comma-separated.';
comment on column marts.customer_balance.currency is 'ISO 4217 currency code.';
comment on column marts.customer_balance.invoices is 'Invoices with something to pay in this currency.';
comment on column marts.customer_balance.open_balance is 'What is still owed in this currency.';
comment on column marts.customer_balance.overdue_balance is 'The part of open_balance past its due date.';
comment on column marts.customer_balance.invoiced_in_window is 'Amount invoiced over the DSO window (reliability.yml dso_window_days).';
comment on column marts.customer_balance.dso is 'Days sales outstanding in this currency; empty when nothing was invoiced in the window.';
comment on column marts.customer_balance.as_of is 'The night''s as-of date.';
comment on column marts.customer_balance.run_id is 'The run that computed the row.';
