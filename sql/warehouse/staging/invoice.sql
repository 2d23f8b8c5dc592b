-- Grain: one row per invoice or credit-note row of the accounting export. Key: record_id.
create table if not exists staging.invoice (
    record_id varchar primary key,
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    physical_row bigint not null,
    file_sha256 varchar not null,
    responsible varchar not null,
    invoice_number varchar,
    document_type varchar,
    customer_code varchar,
    issued_on date,
    due_on date,
    amount double precision,
    currency varchar,
    corrects_invoice varchar,
    as_of date not null,
    run_id varchar not null
);
comment on table staging.invoice is 'The night''s invoices and credit notes as exported by accounting, standardized.';
comment on column staging.invoice.record_id is 'Stable id of the source row.';
comment on column staging.invoice.source_name is 'The source''s name in the sources file.';
comment on column staging.invoice.source_file is 'The file, as its path is given relative to the sources file.';
comment on column staging.invoice.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column staging.invoice.row_number is '1-based data row under the header.';
comment on column staging.invoice.physical_row is 'The row (xlsx) or line (CSV, JSON lines) number in the file itself.';
comment on column staging.invoice.file_sha256 is 'SHA-256 of the file the row was read from.';
comment on column staging.invoice.responsible is 'The employee who answers for the row.';
comment on column staging.invoice.invoice_number is 'The document number as written (FV/yyyy/nnnnnn, FK/yyyy/nnnnnn ...).';
comment on column staging.invoice.document_type is 'invoice or credit_note.';
comment on column staging.invoice.customer_code is 'The accounting customer''s code.';
comment on column staging.invoice.issued_on is 'Issue date.';
comment on column staging.invoice.due_on is 'Due date.';
comment on column staging.invoice.amount is 'Amount in the document''s currency, as booked (a credit note is negative or positive as written).';
comment on column staging.invoice.currency is 'ISO 4217 currency code.';
comment on column staging.invoice.corrects_invoice is 'For a credit note: the number of the invoice it corrects.';
comment on column staging.invoice.as_of is 'The run''s as-of date.';
comment on column staging.invoice.run_id is 'The run that loaded the row.';
