-- Grain: one row per customer (a cluster of linked source records) of the last published night. Key: customer_id.
create table if not exists core.customer (
    customer_id varchar primary key,
    given_name varchar,
    surname varchar,
    patronymic varchar,
    full_name varchar,
    given_name_latin varchar,
    surname_latin varchar,
    sex varchar,
    date_of_birth date,
    phone_e164 varchar,
    email varchar,
    street varchar,
    city varchar,
    postcode varchar,
    country varchar,
    tax_id varchar,
    company varchar,
    channel varchar,
    account_manager varchar,
    first_seen_on date,
    last_updated_on date,
    record_count bigint not null,
    source_count bigint not null,
    sources varchar not null,
    completeness double precision not null,
    as_of date not null,
    run_id varchar not null
);
comment on table core.customer is 'The golden record: one row per customer, each field chosen from the customer''s linked records by the rules in survivorship.yml (where each value comes from: core.customer_field_provenance). Holds personal data.';
comment on column core.customer.customer_id is 'Stable customer id (CUST-0000001): kept from night to night while the customer''s records stay linked; merges and splits in core.customer_id_history.';
comment on column core.customer.given_name is 'Given name as written in the chosen record (its own script).';
comment on column core.customer.surname is 'Surname as written in the chosen record (its own script); the latest one by default, so a married name replaces the maiden name.';
comment on column core.customer.patronymic is 'Patronymic (Russian-style middle name), when written.';
comment on column core.customer.full_name is 'The name as one field, when the source wrote it that way.';
comment on column core.customer.given_name_latin is 'Given name in Latin letters (transliterated), for search and matching across scripts.';
comment on column core.customer.surname_latin is 'Surname in Latin letters (transliterated).';
comment on column core.customer.sex is 'F or M when a source gives it.';
comment on column core.customer.date_of_birth is 'Date of birth (the value most of the customer''s records agree on).';
comment on column core.customer.phone_e164 is 'Phone number in international E.164 form (+48...), the latest one written.';
comment on column core.customer.email is 'E-mail address, the latest one written.';
comment on column core.customer.street is 'Street and number of the latest address (the address fields come from one record together).';
comment on column core.customer.city is 'City of the latest address.';
comment on column core.customer.postcode is 'Postcode of the latest address.';
comment on column core.customer.country is 'ISO country code of the latest address.';
comment on column core.customer.tax_id is 'Tax id (NIP, INN, EIN ...), from accounting first.';
comment on column core.customer.company is 'Company name for business customers.';
comment on column core.customer.channel is 'How the customer came to the company (radio, newspaper, events, web, referral ..., other), as most records say, in one vocabulary whatever the language written (the written values: staging.contact.channel_as_written).';
comment on column core.customer.account_manager is 'The employee responsible for the customer (from the most trusted source that names one).';
comment on column core.customer.first_seen_on is 'Earliest date among the customer''s records (last update or contact date).';
comment on column core.customer.last_updated_on is 'Latest date among the customer''s records: how fresh what we know is.';
comment on column core.customer.record_count is 'How many source records were linked into this customer.';
comment on column core.customer.source_count is 'How many different sources those records come from.';
comment on column core.customer.sources is 'The names of those sources, comma-separated.';
comment on column core.customer.completeness is 'Share (0 to 1) of the mandatory fields of quality.yml the golden record has.';
comment on column core.customer.as_of is 'The night''s as-of date.';
comment on column core.customer.run_id is 'The run that built the row.';
