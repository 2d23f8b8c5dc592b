-- Grain: one row per customer of the last published night. Key: customer_id.
-- For analysts: the golden record (core.customer) without names, phones, e-mails, street addresses,
-- dates of birth, tax ids or company names; the year of birth and the first two characters of the
-- postcode stand in for them. Joins to the other marts on customer_id (a pseudonymous id).
create or replace view marts.customer_overview as
with customers as (
    select
        customer_id,
        sex,
        cast(extract(year from date_of_birth) as integer) as birth_year,
        left(postcode, 2) as postcode_area,
        country,
        channel,
        account_manager,
        phone_e164 is not null as has_phone,
        email is not null as has_email,
        street is not null as has_address,
        company is not null as is_company,
        first_seen_on,
        last_updated_on,
        record_count,
        source_count,
        sources,
        completeness,
        as_of,
        run_id
    from core.customer
),

interactions as (
    select
        customer_id,
        count(*) as interaction_count,
        cast(sum(case when is_complaint then 1 else 0 end) as bigint) as complaint_count,
        avg(survey_score) as mean_survey_score,
        max(interaction_at) as last_interaction_at
    from core.interaction
    group by customer_id
),

reliability as (
    select
        customer_id,
        reliability_class,
        class_certainty,
        reliability_reason
    from marts.customer_reliability
    where customer_id is not null
),

final as (
    select
        c.customer_id,
        c.sex,
        c.birth_year,
        c.postcode_area,
        c.country,
        c.channel,
        c.account_manager,
        c.has_phone,
        c.has_email,
        c.has_address,
        c.is_company,
        c.first_seen_on,
        c.last_updated_on,
        c.record_count,
        c.source_count,
        c.sources,
        c.completeness,
        coalesce(i.interaction_count, 0) as interaction_count,
        coalesce(i.complaint_count, 0) as complaint_count,
        i.mean_survey_score,
        i.last_interaction_at,
        coalesce(r.reliability_class, 'no_history') as reliability_class,
        r.class_certainty,
        r.reliability_reason,
        c.as_of,
        c.run_id
    from customers as c
    left join interactions as i on i.customer_id = c.customer_id
    left join reliability as r on r.customer_id = c.customer_id
)

select * from final;
comment on view marts.customer_overview is 'One row per customer for analysts: the golden record without personal data (no names, phones, e-mails, street addresses, dates of birth, tax ids), with the customer''s calls, visits and complaints.';
comment on column marts.customer_overview.customer_id is 'Stable customer id (core.customer.customer_id): a pseudonymous key that joins the marts.';
comment on column marts.customer_overview.sex is 'F or M when a source gives it.';
comment on column marts.customer_overview.birth_year is 'Year of birth (the date itself is left out).';
comment on column marts.customer_overview.postcode_area is 'First two characters of the postcode (the postal area); street and city are left out.';
comment on column marts.customer_overview.country is 'ISO country code of the latest address.';
comment on column marts.customer_overview.channel is 'How the customer came to the company (radio, newspaper, events, web, referral ...).';
comment on column marts.customer_overview.account_manager is 'The employee responsible for the customer.';
comment on column marts.customer_overview.has_phone is 'Whether a phone number is known (the number itself is left out).';
comment on column marts.customer_overview.has_email is 'Whether an e-mail address is known.';
comment on column marts.customer_overview.has_address is 'Whether a street address is known.';
comment on column marts.customer_overview.is_company is 'Whether the customer is a business (a company name is known).';
comment on column marts.customer_overview.first_seen_on is 'Earliest date among the customer''s records.';
comment on column marts.customer_overview.last_updated_on is 'Latest date among the customer''s records: how fresh what we know is.';
comment on column marts.customer_overview.record_count is 'How many source records were linked into this customer.';
comment on column marts.customer_overview.source_count is 'How many different sources those records come from.';
comment on column marts.customer_overview.sources is 'The names of those sources, comma-separated.';
comment on column marts.customer_overview.completeness is 'Share (0 to 1) of the mandatory fields the golden record has.';
comment on column marts.customer_overview.interaction_count is 'Calls and visits logged in the journals (0 when none).';
comment on column marts.customer_overview.complaint_count is 'How many of them were complaints.';
comment on column marts.customer_overview.mean_survey_score is 'Mean satisfaction score given during them; empty when never asked.';
comment on column marts.customer_overview.last_interaction_at is 'When the latest call or visit happened.';
comment on column marts.customer_overview.reliability_class is 'How the customer pays (marts.customer_reliability): on_time, slight_delay, significant_delay, non_payer, or no_history.';
comment on column marts.customer_overview.class_certainty is 'sure, or uncertain (few invoices, or no clear class); empty with nothing due.';
comment on column marts.customer_overview.reliability_reason is 'The class in words, e.g. ''9 invoices due: 7 paid 20–40 days late; 2 unpaid for 120–150 days; non payer (97 % likely)''.';
comment on column marts.customer_overview.as_of is 'The night''s as-of date.';
comment on column marts.customer_overview.run_id is 'The run that built the golden record.';
