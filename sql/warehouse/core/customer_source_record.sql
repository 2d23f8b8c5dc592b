-- Grain: one row per customer-identifying source record (journal entry, spreadsheet row, accounting customer)
-- of the last published night, singletons included. Key: record_id.
create table if not exists core.customer_source_record (
    record_id varchar primary key,
    source_name varchar not null,
    source_kind varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    customer_id varchar not null,
    match_probability double precision not null,
    record_fingerprint varchar not null,
    as_of date not null,
    run_id varchar not null
);
comment on table core.customer_source_record is 'Which customer each source record belongs to: the link between a row in a file and core.customer.';
comment on column core.customer_source_record.record_id is 'The staged row (staging.contact.record_id).';
comment on column core.customer_source_record.source_name is 'The source''s name in the sources file.';
comment on column core.customer_source_record.source_kind is 'journal, spreadsheet or accounting_customers.';
comment on column core.customer_source_record.source_file is 'The file, as its path is given relative to the sources file.';
comment on column core.customer_source_record.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column core.customer_source_record.row_number is '1-based data row counted from the first row under the header.';
comment on column core.customer_source_record.customer_id is 'The customer the record belongs to (core.customer).';
comment on column core.customer_source_record.match_probability is 'Probability of the record''s strongest link inside its customer (1 for a customer with one record, or a steward''s decision).';
comment on column core.customer_source_record.record_fingerprint is 'Hash of the record''s identifying values: carries ids and steward decisions across nights when rows move.';
comment on column core.customer_source_record.as_of is 'The night''s as-of date.';
comment on column core.customer_source_record.run_id is 'The run that linked the record.';
