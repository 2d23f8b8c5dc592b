-- Grain: one row per source file per published night (a night published again replaces its rows).
-- Key: (as_of, source_name, source_file).
-- Invariant: rows_read = rows_loaded + rows_quarantined for every file that was read.
create table if not exists ops.reconciliation (
    run_id varchar not null,
    as_of date not null,
    source_name varchar not null,
    source_kind varchar not null,
    source_file varchar not null,
    file_sha256 varchar,
    status varchar not null,
    rows_read bigint not null,
    rows_physical bigint,
    rows_loaded bigint not null,
    rows_quarantined bigint not null,
    is_balanced boolean not null,
    is_reused boolean not null,
    error varchar
);
comment on table ops.reconciliation is 'Per published night and source file: rows read = rows loaded + rows quarantined, or the error that stopped the file.';
comment on column ops.reconciliation.run_id is 'The run that published the night (ops.run.run_id).';
comment on column ops.reconciliation.as_of is 'The run''s as-of date.';
comment on column ops.reconciliation.source_name is 'The source''s name in the sources file.';
comment on column ops.reconciliation.source_kind is 'journal, spreadsheet, accounting_customers, invoices or payments.';
comment on column ops.reconciliation.source_file is 'The file, as its path is given relative to the sources file.';
comment on column ops.reconciliation.file_sha256 is 'SHA-256 of the file''s bytes.';
comment on column ops.reconciliation.status is 'ok, failed (unreadable) or missing (no file matched).';
comment on column ops.reconciliation.rows_read is 'Rows read under the header (blank and non-record rows included).';
comment on column ops.reconciliation.rows_physical is 'Lines (CSV, JSON lines) or sheet rows physically under the header, trailing blank lines not counted; equal to rows_read unless a quoted value runs over several lines. Empty for a file that was not read.';
comment on column ops.reconciliation.rows_loaded is 'Rows loaded into a staging table.';
comment on column ops.reconciliation.rows_quarantined is 'Rows in staging.quarantine.';
comment on column ops.reconciliation.is_balanced is 'True when rows_read = rows_loaded + rows_quarantined.';
comment on column ops.reconciliation.is_reused is 'True when the file was unchanged and its staged extract was reused.';
comment on column ops.reconciliation.error is 'Why the file could not be read, naming the file, row and field when known.';
