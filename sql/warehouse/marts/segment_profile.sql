-- Grain: one row per segment of the last published night. Key: segment_id.
-- Invariants: sum(customers) = count(*) of marts.customer_segment; 0 <= share_* <= 1.
create table if not exists marts.segment_profile (
    segment_id bigint not null,
    segment_name varchar not null,
    customers bigint not null,
    share_of_customers double precision not null,
    median_invoices_per_year double precision,
    median_avg_invoice_index double precision,
    median_avg_invoice_amount double precision,
    amount_currency varchar not null,
    median_tenure_days double precision,
    median_days_since_last_invoice double precision,
    mean_calls double precision,
    mean_visits double precision,
    mean_complaints double precision,
    median_survey_score double precision,
    mean_late_payment_risk double precision,
    share_paying_late double precision,
    median_completeness double precision,
    top_channel varchar,
    interactions bigint,
    complaints bigint,
    surveys bigint,
    customers_with_channel bigint,
    customers_with_preferences bigint,
    top_categories varchar,
    top_brands varchar,
    centre_json varchar not null,
    is_new boolean not null,
    k integer not null,
    criterion varchar not null,
    criterion_value double precision,
    k_chosen_on date,
    model_key varchar,
    as_of date not null,
    run_id varchar not null
);
comment on table marts.segment_profile is 'What each segment looks like tonight: size, medians of the key features, and its centre for the next night.';
comment on column marts.segment_profile.segment_id is 'The segment (marts.customer_segment.segment_id).';
comment on column marts.segment_profile.segment_name is 'Its readable name, given when the segment first appeared and kept since.';
comment on column marts.segment_profile.customers is 'Customers in the segment tonight.';
comment on column marts.segment_profile.share_of_customers is 'customers over all customers (0..1).';
comment on column marts.segment_profile.median_invoices_per_year is 'Median invoices per year.';
comment on column marts.segment_profile.median_avg_invoice_index is 'Median average invoice against the typical customer of the same currency (1 = typical).';
comment on column marts.segment_profile.median_avg_invoice_amount is 'Median average invoice of the segment''s customers invoiced in amount_currency.';
comment on column marts.segment_profile.amount_currency is 'The currency of median_avg_invoice_amount (the base currency).';
comment on column marts.segment_profile.median_tenure_days is 'Median days since the customer was first seen.';
comment on column marts.segment_profile.median_days_since_last_invoice is 'Median days since the latest invoice (customers with invoices).';
comment on column marts.segment_profile.mean_calls is 'Average calls per customer.';
comment on column marts.segment_profile.mean_visits is 'Average visits per customer.';
comment on column marts.segment_profile.mean_complaints is 'Average complaints per customer.';
comment on column marts.segment_profile.median_survey_score is 'Median of the customers'' mean satisfaction scores.';
comment on column marts.segment_profile.mean_late_payment_risk is 'Average late-payment risk (customers with one).';
comment on column marts.segment_profile.share_paying_late is 'Share of customers whose reliability class is slight_delay, significant_delay or non_payer.';
comment on column marts.segment_profile.median_completeness is 'Median completeness of the golden records.';
comment on column marts.segment_profile.top_channel is 'The most common known acquisition channel (shares per channel: marts.segment_channel).';
comment on column marts.segment_profile.interactions is 'Journal entries (calls, visits ...) of the segment''s customers: what the features found in the data.';
comment on column marts.segment_profile.complaints is 'Complaints recognised among them (0 in every segment of a night with journal entries: check the mapping, see the control report).';
comment on column marts.segment_profile.surveys is 'Survey scores given by the segment''s customers.';
comment on column marts.segment_profile.customers_with_channel is 'Customers of the segment whose acquisition channel some record gives.';
comment on column marts.segment_profile.customers_with_preferences is 'Customers of the segment with preferred categories listed.';
comment on column marts.segment_profile.top_categories is 'The preferred categories its customers list most often (up to three, most first).';
comment on column marts.segment_profile.top_brands is 'The preferred brands its customers list most often (up to three, most first).';
comment on column marts.segment_profile.centre_json is 'The segment''s centre in the model''s feature units (JSON): tomorrow''s run starts from it to keep the segment''s id.';
comment on column marts.segment_profile.is_new is 'True when the segment appeared tonight (no segment of last night matched it).';
comment on column marts.segment_profile.k is 'Number of segments tonight.';
comment on column marts.segment_profile.criterion is 'How the number of segments was chosen (stability, silhouette or bic).';
comment on column marts.segment_profile.criterion_value is 'The criterion''s value for tonight''s number of segments.';
comment on column marts.segment_profile.k_chosen_on is 'The night the number of segments was last chosen among k_min..k_max (segments.yml choose_k_every_days); on the nights between, last night''s segments are fitted again from their centres.';
comment on column marts.segment_profile.model_key is 'Key of the model settings and scikit-learn version k was chosen with: another key chooses k again.';
comment on column marts.segment_profile.as_of is 'The night''s as-of date.';
comment on column marts.segment_profile.run_id is 'The run that built the segment.';
