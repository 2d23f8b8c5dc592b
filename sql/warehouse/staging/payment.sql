-- Grain: one row per payment row of the accounting export (duplicates included, as exported). Key: record_id.
create table if not exists staging.payment (
    record_id varchar primary key,
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    physical_row bigint not null,
    file_sha256 varchar not null,
    responsible varchar not null,
    payment_id varchar,
    invoice_number varchar,
    customer_code varchar,
    paid_on date,
    amount double precision,
    currency varchar,
    as_of date not null,
    run_id varchar not null
);
comment on table staging.payment is 'The night''s payments as exported by accounting, standardized.';
comment on column staging.payment.record_id is 'Stable id of the source row.';
comment on column staging.payment.source_name is 'The source''s name in the sources file.';
comment on column staging.payment.source_file is 'The file, as its path is given relative to the sources file.';
comment on column staging.payment.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column staging.payment.row_number is '1-based data row under the header.';
comment on column staging.payment.physical_row is 'The row (xlsx) or line (CSV, JSON lines) number in the file itself.';
comment on column staging.payment.file_sha256 is 'SHA-256 of the file the row was read from.';
comment on column staging.payment.responsible is 'The employee who answers for the row.';
comment on column staging.payment.payment_id is 'The payment''s id in accounting, when exported.';
comment on column staging.payment.invoice_number is 'The invoice the payment settles.';
comment on column staging.payment.customer_code is 'The paying customer''s code.';
comment on column staging.payment.paid_on is 'Payment date.';
comment on column staging.payment.amount is 'Amount paid, in the payment''s currency.';
comment on column staging.payment.currency is 'ISO 4217 currency code.';
comment on column staging.payment.as_of is 'The run''s as-of date.';
comment on column staging.payment.run_id is 'The run that loaded the row.';
