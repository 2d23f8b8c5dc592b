-- Grain: one row per invoice or credit-note row of the accounting export, settled as of the night. Key: record_id.
-- Invariants: amount_due >= 0; paid_amount >= 0 on invoices; open_amount <= amount_due; days_late >= 0.
create table if not exists core.invoice (
    record_id varchar primary key,
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    responsible varchar,
    invoice_number varchar,
    invoice_key varchar,
    document_type varchar not null,
    customer_code varchar,
    customer_id varchar,
    issued_on date,
    due_on date,
    amount_booked double precision,
    currency varchar,
    corrects_invoice varchar,
    credit_status varchar,
    is_negative_amount boolean not null,
    is_duplicate_number boolean not null,
    amount_due double precision,
    credited_amount double precision,
    paid_amount double precision,
    payments bigint,
    last_paid_on date,
    fully_paid_on date,
    status varchar not null,
    days_from_due integer,
    days_late integer,
    is_paid_on_time boolean,
    open_amount double precision,
    aging_bucket varchar,
    as_of date not null,
    run_id varchar not null
);
comment on table core.invoice is 'Every invoice and credit note with what is due, what was paid and when, and how late: the base of payment reliability.';
comment on column core.invoice.record_id is 'The staged row (staging.invoice.record_id).';
comment on column core.invoice.source_name is 'The source''s name in the sources file.';
comment on column core.invoice.source_file is 'The file, as its path is given relative to the sources file.';
comment on column core.invoice.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column core.invoice.row_number is '1-based data row under the header.';
comment on column core.invoice.responsible is 'The employee who answers for the row.';
comment on column core.invoice.invoice_number is 'The document number as written.';
comment on column core.invoice.invoice_key is 'The number as matched with payments and credit notes: letters, 4-digit year and sequence without leading zeros (FV/2023/12), whatever the typing.';
comment on column core.invoice.document_type is 'invoice or credit_note.';
comment on column core.invoice.customer_code is 'The accounting customer''s code.';
comment on column core.invoice.customer_id is 'The customer (core.customer) the code''s accounting row is linked to; empty before linkage or when the code has no accounting row.';
comment on column core.invoice.issued_on is 'Issue date.';
comment on column core.invoice.due_on is 'Due date.';
comment on column core.invoice.amount_booked is 'The amount as booked, in the document''s currency (negative on credit notes, or by mistake on an invoice).';
comment on column core.invoice.currency is 'ISO 4217 currency code; amounts are never added across currencies.';
comment on column core.invoice.corrects_invoice is 'For a credit note: the number of the invoice it corrects, as written.';
comment on column core.invoice.credit_status is 'For a credit note: applied, unknown_invoice (no such invoice), currency_mismatch or unusable (no amount); not applied unless applied.';
comment on column core.invoice.is_negative_amount is 'An invoice (not a credit note) booked with a negative amount: it is due its absolute value.';
comment on column core.invoice.is_duplicate_number is 'A second invoice row with the same number: left out of every figure.';
comment on column core.invoice.amount_due is 'What the invoice is due: its absolute amount less the credit notes that correct it, never below 0.';
comment on column core.invoice.credited_amount is 'Sum of the credit notes applied to the invoice.';
comment on column core.invoice.paid_amount is 'Sum of the payments applied to the invoice (duplicates and quarantined payments left out).';
comment on column core.invoice.payments is 'Number of payments applied.';
comment on column core.invoice.last_paid_on is 'Date of the last payment applied.';
comment on column core.invoice.fully_paid_on is 'The day the payments reached the amount due; empty while not paid in full.';
comment on column core.invoice.status is 'paid, overdue (unpaid past due), open (unpaid, not yet due), cancelled (credited in full), credit_note, duplicate_number or unusable (no number or amount).';
comment on column core.invoice.days_from_due is 'Paid: full-payment date minus due date (negative when early). Unpaid past due: as-of date minus due date. Empty otherwise.';
comment on column core.invoice.days_late is 'days_from_due, 0 when paid on or before the due date; empty when not paid and not yet due.';
comment on column core.invoice.is_paid_on_time is 'Paid in full by the due date; false when paid late or unpaid past due; empty when not yet due and unpaid.';
comment on column core.invoice.open_amount is 'What is still owed (amount due less paid, never below 0); 0 when paid or cancelled.';
comment on column core.invoice.aging_bucket is 'For an unpaid invoice, days past due: current (not yet due), 1-30, 31-60, 61-90, 91-120, over_120.';
comment on column core.invoice.as_of is 'The night''s as-of date.';
comment on column core.invoice.run_id is 'The run that settled the invoice.';
