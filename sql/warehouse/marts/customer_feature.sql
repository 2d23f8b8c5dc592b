-- Grain: one row per customer (core.customer) of the last published night. Key: customer_id.
-- Invariants: invoices, calls, visits, complaints >= 0; complaints_recent <= complaints; calls + visits <= interactions;
-- invoices_recent <= invoices; activity_recent = invoices_recent + interactions_recent.
create table if not exists marts.customer_feature (
    customer_id varchar not null,
    channel varchar not null,
    channel_as_written varchar,
    account_manager varchar,
    country varchar,
    first_seen_on date,
    tenure_days double precision,
    completeness double precision,
    record_count double precision,
    source_count double precision,
    invoices bigint not null,
    invoices_per_year double precision not null,
    invoices_recent bigint not null,
    spend double precision not null,
    avg_invoice_amount double precision,
    spend_currency varchar,
    avg_invoice_index double precision,
    first_invoice_on date,
    last_invoice_on date,
    days_since_last_invoice double precision,
    interactions bigint not null,
    interactions_recent bigint not null,
    activity_recent bigint not null,
    calls bigint not null,
    visits bigint not null,
    last_interaction_on date,
    days_since_last_interaction double precision,
    days_since_last_call double precision,
    days_since_last_visit double precision,
    days_since_last_activity double precision,
    complaints bigint not null,
    complaints_recent bigint not null,
    last_complaint_on date,
    surveys bigint not null,
    mean_survey_score double precision,
    preferred_brands varchar,
    preferred_categories varchar,
    reliability_class varchar not null,
    late_payment_risk double precision,
    median_days_late double precision,
    share_paid_on_time double precision,
    as_of date not null,
    run_id varchar not null
);
comment on table marts.customer_feature is 'Each customer''s behaviour in one row: recency, frequency and spend, calls and visits, complaints, survey scores, preferences, channel, tenure, payment reliability and completeness. What the segments are made of and what analysts'' rules (segments.yml) are written on.';
comment on column marts.customer_feature.customer_id is 'The customer (core.customer).';
comment on column marts.customer_feature.channel is 'Acquisition channel: radio, newspaper, events, web, referral (the standardized channel of the golden record, words of any language mapped in vocabulary.yml), other, or unknown when no record says.';
comment on column marts.customer_feature.channel_as_written is 'The channel as the customer''s records most often write it, before mapping.';
comment on column marts.customer_feature.account_manager is 'The employee responsible for the customer.';
comment on column marts.customer_feature.country is 'ISO country code of the customer''s address.';
comment on column marts.customer_feature.first_seen_on is 'Earliest date known of the customer: first record or first invoice.';
comment on column marts.customer_feature.tenure_days is 'Days from first_seen_on to the as-of date.';
comment on column marts.customer_feature.completeness is 'Share (0..1) of the mandatory fields the golden record has.';
comment on column marts.customer_feature.record_count is 'Source records linked into the customer.';
comment on column marts.customer_feature.source_count is 'Different sources those records come from.';
comment on column marts.customer_feature.invoices is 'Invoices issued in the window of segments.yml (features.window_days), cancelled and duplicate rows left out.';
comment on column marts.customer_feature.invoices_per_year is 'Invoices in the window per year of the customer''s time with the company within the window, counted over at least features.frequency_min_days (a year by default, so a new customer''s first invoices are not extrapolated): frequency.';
comment on column marts.customer_feature.invoices_recent is 'Invoices issued within features.recent_days (365 by default) before the as-of date.';
comment on column marts.customer_feature.spend is 'Sum due on those invoices in spend_currency: monetary value (0 without invoices).';
comment on column marts.customer_feature.avg_invoice_amount is 'Average invoice in spend_currency.';
comment on column marts.customer_feature.spend_currency is 'The customer''s main currency (most invoices); the base currency when the others have rates in segments.yml. Amounts are never added across currencies.';
comment on column marts.customer_feature.avg_invoice_index is 'avg_invoice_amount over the median of customers with the same spend_currency (1 = typical): compares spend across currencies.';
comment on column marts.customer_feature.first_invoice_on is 'Issue date of the first invoice in the window.';
comment on column marts.customer_feature.last_invoice_on is 'Issue date of the latest invoice in the window.';
comment on column marts.customer_feature.days_since_last_invoice is 'Days from last_invoice_on to the as-of date: recency (empty without invoices).';
comment on column marts.customer_feature.interactions is 'Journal entries (calls, visits and others) of the customer.';
comment on column marts.customer_feature.interactions_recent is 'Journal entries within features.recent_days (365 by default) before the as-of date.';
comment on column marts.customer_feature.activity_recent is 'invoices_recent + interactions_recent: how often the customer bought or was in touch lately (0 for a customer gone quiet).';
comment on column marts.customer_feature.calls is 'Journal entries that are calls (by the journal''s type, words in segments.yml).';
comment on column marts.customer_feature.visits is 'Journal entries that are visits.';
comment on column marts.customer_feature.last_interaction_on is 'Date of the latest journal entry.';
comment on column marts.customer_feature.days_since_last_interaction is 'Days from the latest journal entry to the as-of date.';
comment on column marts.customer_feature.days_since_last_call is 'Days from the latest call to the as-of date.';
comment on column marts.customer_feature.days_since_last_visit is 'Days from the latest visit to the as-of date.';
comment on column marts.customer_feature.days_since_last_activity is 'Days from the latest invoice or journal entry to the as-of date (empty when the customer has neither).';
comment on column marts.customer_feature.complaints is 'Journal entries recording a complaint (complaint column, or a complaint tag).';
comment on column marts.customer_feature.complaints_recent is 'Complaints within features.recent_complaint_days (90 by default) before the as-of date.';
comment on column marts.customer_feature.last_complaint_on is 'Date of the latest complaint.';
comment on column marts.customer_feature.surveys is 'Journal entries with a satisfaction score.';
comment on column marts.customer_feature.mean_survey_score is 'Mean satisfaction score given (empty without scores).';
comment on column marts.customer_feature.preferred_brands is 'The customer''s most mentioned brands, comma-separated (from the attributes named in segments.yml).';
comment on column marts.customer_feature.preferred_categories is 'The customer''s most mentioned product categories, comma-separated.';
comment on column marts.customer_feature.reliability_class is 'Payment reliability (marts.customer_reliability): on_time, slight_delay, significant_delay, non_payer, or no_history.';
comment on column marts.customer_feature.late_payment_risk is 'Probability (0..1) that the next invoice is paid late (marts.customer_reliability).';
comment on column marts.customer_feature.median_days_late is 'Median days late of the customer''s invoices due.';
comment on column marts.customer_feature.share_paid_on_time is 'Share of the invoices due paid on time.';
comment on column marts.customer_feature.as_of is 'The night''s as-of date.';
comment on column marts.customer_feature.run_id is 'The run that computed the row.';
