-- Grain: one row per failing value: one rule failing on one field of one source row, per night (a night run
-- again replaces its rows: one set per as-of date, from the run that loaded it last)
-- (row_number 0: a rule judged on the whole file; found_on 'golden_record': a golden record's failure, one row
-- per source row behind it).
-- Key: (as_of, source_name, source_file, sheet, row_number, rule, field).
create table if not exists dq.failure (
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    record_id varchar,
    field varchar not null,
    rule varchar not null,
    severity varchar not null,
    value varchar,
    message varchar not null,
    responsible varchar not null,
    as_of date not null,
    run_id varchar not null,
    customer_id varchar,
    customer_name varchar,
    customer_code varchar,
    found_on varchar
);
comment on table dq.failure is 'Every value that failed a data-quality rule on a night (not a sample), with the row it came from and who must fix it; one set of rows per night.';
comment on column dq.failure.source_name is 'The source''s name in the sources file (for a golden record''s failure, the source of the row behind it).';
comment on column dq.failure.source_file is 'The file, as its path is given relative to the sources file.';
comment on column dq.failure.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column dq.failure.row_number is '1-based data row counted from the first row under the header; 0 when the whole file is at fault (source_freshness, row_count_drop);';
comment on column dq.failure.record_id is 'The staged row (staging.contact/invoice/payment.record_id); empty for a whole file.';
comment on column dq.failure.field is 'The logical field at fault (date_of_birth, phone, phone_or_email, attributes.expected_gift ...; * for the whole row).';
comment on column dq.failure.rule is 'The rule id (mandatory_field_missing, email_format, duplicate_payment ...; see expectations/README.md).';
comment on column dq.failure.severity is 'critical, warning or info, from the quality settings.';
comment on column dq.failure.value is 'The value as written (or the sentinel written instead of a value); empty when nothing was written. May hold personal data.';
comment on column dq.failure.message is 'One line for the person who fixes the record: what is wrong and what to do.';
comment on column dq.failure.responsible is 'The employee who answers for the row.';
comment on column dq.failure.as_of is 'The run''s as-of date.';
comment on column dq.failure.run_id is 'The run that found it (the night''s last run to load it).';
comment on column dq.failure.customer_id is 'The customer the row belongs to (core.customer), once the night was linked; empty for a whole file or a night stopped before linkage.';
comment on column dq.failure.customer_name is 'The customer''s name as the source row writes it (the accounting customer''s, for an invoice or payment). Personal data.';
comment on column dq.failure.customer_code is 'The customer''s code in the source system (accounting), when it has one.';
comment on column dq.failure.found_on is 'source_row: the rule failed on this source row; golden_record: it failed on the consolidated customer, and this is a source row behind it (the one that gave the value, or each of them when none has it).';
