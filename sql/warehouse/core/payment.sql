-- Grain: one row per payment row of the accounting export (duplicates included, marked). Key: record_id.
create table if not exists core.payment (
    record_id varchar primary key,
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    responsible varchar,
    payment_id varchar,
    invoice_number varchar,
    invoice_key varchar,
    customer_code varchar,
    customer_id varchar,
    paid_on date,
    amount double precision,
    currency varchar,
    status varchar not null,
    is_dated_before_invoice boolean not null,
    as_of date not null,
    run_id varchar not null
);
comment on table core.payment is 'Every payment row and what was done with it: applied to its invoice, or set aside with the reason.';
comment on column core.payment.record_id is 'The staged row (staging.payment.record_id).';
comment on column core.payment.source_name is 'The source''s name in the sources file.';
comment on column core.payment.source_file is 'The file, as its path is given relative to the sources file.';
comment on column core.payment.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column core.payment.row_number is '1-based data row under the header.';
comment on column core.payment.responsible is 'The employee who answers for the row.';
comment on column core.payment.payment_id is 'The payment''s id in accounting, when exported.';
comment on column core.payment.invoice_number is 'The invoice the payment settles, as written.';
comment on column core.payment.invoice_key is 'The number as matched with core.invoice.invoice_key.';
comment on column core.payment.customer_code is 'The paying customer''s code.';
comment on column core.payment.customer_id is 'The customer the code''s accounting row is linked to; empty before linkage.';
comment on column core.payment.paid_on is 'Payment date.';
comment on column core.payment.amount is 'Amount paid, in the payment''s currency.';
comment on column core.payment.currency is 'ISO 4217 currency code.';
comment on column core.payment.status is 'applied; duplicate (repeats an earlier row exactly: counted once); unknown_invoice (quarantined: no such invoice); currency_mismatch (quarantined); unusable (no date or amount); after_as_of.';
comment on column core.payment.is_dated_before_invoice is 'The payment is dated before its invoice was issued (applied, but its date is doubtful).';
comment on column core.payment.as_of is 'The night''s as-of date.';
comment on column core.payment.run_id is 'The run that settled the payment.';
