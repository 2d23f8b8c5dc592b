-- Grain: one row per customer and golden-record field that has a value. Key: (customer_id, field).
create table if not exists core.customer_field_provenance (
    customer_id varchar not null,
    field varchar not null,
    rule varchar not null,
    record_id varchar not null,
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    as_of date not null,
    run_id varchar not null
);
comment on table core.customer_field_provenance is 'Where each value of the golden record comes from: the source record chosen and the survivorship rule that chose it.';
comment on column core.customer_field_provenance.customer_id is 'The customer (core.customer).';
comment on column core.customer_field_provenance.field is 'The golden-record column (surname, phone_e164 ...).';
comment on column core.customer_field_provenance.rule is 'most_recent, most_frequent or source_priority (survivorship.yml).';
comment on column core.customer_field_provenance.record_id is 'The source record that gave the value (staging.contact.record_id).';
comment on column core.customer_field_provenance.source_name is 'Its source.';
comment on column core.customer_field_provenance.source_file is 'Its file, as given in the sources file.';
comment on column core.customer_field_provenance.sheet is 'Its sheet; empty for CSV and JSON-lines files.';
comment on column core.customer_field_provenance.row_number is 'Its 1-based data row under the header.';
comment on column core.customer_field_provenance.as_of is 'The night''s as-of date.';
comment on column core.customer_field_provenance.run_id is 'The run that built the row.';
