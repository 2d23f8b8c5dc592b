-- Grain: one row per customer per night (kept for the sources file's history.keep_nights). Key: (as_of, customer_id, else customer_codes); a night run again replaces its rows.
create table if not exists marts.customer_reliability_history (
    customer_id varchar,
    customer_codes varchar,
    reliability_class varchar not null,
    class_probability double precision,
    class_certainty varchar,
    reliability_reason varchar,
    median_rule_class varchar,
    invoices bigint not null,
    invoices_due bigint not null,
    invoices_overdue bigint,
    median_days_late double precision,
    weighted_days_late double precision,
    share_paid_on_time double precision,
    share_defaulted double precision,
    currency varchar,
    currencies integer,
    balances_by_currency varchar,
    open_balance double precision,
    overdue_balance double precision,
    dso double precision,
    oldest_overdue_days integer,
    oldest_overdue_on date,
    recent_median_days_late double precision,
    earlier_median_days_late double precision,
    recent_invoices_due integer,
    trend_days double precision,
    trend varchar,
    late_payment_risk double precision,
    risk_source varchar,
    first_invoice_on date,
    last_invoice_on date,
    as_of date not null,
    run_id varchar not null
);
comment on table marts.customer_reliability_history is 'Every night''s marts.customer_reliability, to see who got worse.';
comment on column marts.customer_reliability_history.customer_id is 'The customer (core.customer); empty when the run has no customer links yet, then the row is one accounting code.';
comment on column marts.customer_reliability_history.customer_codes is 'The accounting codes rolled up into the row, comma-separated.';
comment on column marts.customer_reliability_history.reliability_class is 'on_time, slight_delay, significant_delay, non_payer, or no_history (nothing due): the class whose pattern of payment best explains all the invoices due (days late of each paid one, how long each unpaid one has been open, whether part paid, older invoices weighing less); what each class means is set by the cut-offs of reliability.yml, see docs/reliability.md.';
comment on column marts.customer_reliability_history.class_probability is 'How likely the class is (0..1) given the invoices due; empty with nothing due.';
comment on column marts.customer_reliability_history.class_certainty is 'sure, or uncertain when fewer invoices are due than history.min_invoices or class_probability is below history.min_probability (reliability.yml); empty with nothing due.';
comment on column marts.customer_reliability_history.reliability_reason is 'The class in words: the invoices due by how they were paid, e.g. ''9 invoices due: 7 paid 20–40 days late; 2 unpaid for 120–150 days; non payer (97 % likely)'', and what the median rule alone would say when it differs.';
comment on column marts.customer_reliability_history.median_rule_class is 'The class by the policy''s median rule alone (median days late against the cut-offs of reliability.yml; non-payer by the share left unpaid long), kept for comparison.';
comment on column marts.customer_reliability_history.invoices is 'Invoices with something to pay (paid, overdue or open).';
comment on column marts.customer_reliability_history.invoices_due is 'Invoices paid or past their due date: the ones lateness is measured on.';
comment on column marts.customer_reliability_history.invoices_overdue is 'Invoices unpaid past their due date.';
comment on column marts.customer_reliability_history.median_days_late is 'Median days late over the invoices due (0 = paid on or before the due date).';
comment on column marts.customer_reliability_history.weighted_days_late is 'Days late weighted by each invoice''s amount over the customer''s average invoice in the same currency.';
comment on column marts.customer_reliability_history.share_paid_on_time is 'Share of the invoices due paid in full by their due date (0..1).';
comment on column marts.customer_reliability_history.share_defaulted is 'Share of the invoices due left unpaid longer than the non-payer limit of reliability.yml.';
comment on column marts.customer_reliability_history.currency is 'The customer''s main currency (of most of its invoices; the base currency wins a tie): the currency of open_balance, overdue_balance and dso.';
comment on column marts.customer_reliability_history.currencies is 'How many currencies the customer is invoiced in.';
comment on column marts.customer_reliability_history.balances_by_currency is 'Open balance in every currency, e.g. ''EUR 120.00; PLN 35.10'' (see marts.customer_balance).';
comment on column marts.customer_reliability_history.open_balance is 'What the customer still owes, in currency.';
comment on column marts.customer_reliability_history.overdue_balance is 'The part of open_balance past its due date, in currency.';
comment on column marts.customer_reliability_history.dso is 'Days sales outstanding in currency: open balance / amount invoiced over the DSO window x window days.';
comment on column marts.customer_reliability_history.oldest_overdue_days is 'Days past due of the oldest unpaid invoice.';
comment on column marts.customer_reliability_history.oldest_overdue_on is 'Due date of the oldest unpaid invoice.';
comment on column marts.customer_reliability_history.recent_median_days_late is 'Median days late of invoices due in the recent months (reliability.yml trend.recent_months).';
comment on column marts.customer_reliability_history.earlier_median_days_late is 'Median days late of invoices due before that.';
comment on column marts.customer_reliability_history.recent_invoices_due is 'Invoices due in the recent months.';
comment on column marts.customer_reliability_history.trend_days is 'recent_median_days_late minus earlier_median_days_late (positive = paying later than before).';
comment on column marts.customer_reliability_history.trend is 'worse, better or stable; empty without both recent and earlier invoices.';
comment on column marts.customer_reliability_history.late_payment_risk is 'Probability (0..1) that the customer''s next invoice is paid more than N days late (N in reliability.yml).';
comment on column marts.customer_reliability_history.risk_source is 'model (the model beat the rule on held-back periods) or rule (the late rate of the customer''s class).';
comment on column marts.customer_reliability_history.first_invoice_on is 'Issue date of the first invoice.';
comment on column marts.customer_reliability_history.last_invoice_on is 'Issue date of the latest invoice.';
comment on column marts.customer_reliability_history.as_of is 'The night''s as-of date.';
comment on column marts.customer_reliability_history.run_id is 'The run that computed the row.';
