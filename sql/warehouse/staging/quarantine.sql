-- Grain: one row per source row that was not loaded. Key: (source_name, source_file, sheet, row_number).
create table if not exists staging.quarantine (
    source_name varchar not null,
    source_kind varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    physical_row bigint not null,
    file_sha256 varchar not null,
    responsible varchar not null,
    stage varchar not null,
    field varchar not null,
    reason varchar not null,
    raw_value varchar,
    as_of date not null,
    run_id varchar not null
);
comment on table staging.quarantine is 'Source rows set aside with their reason (blank, section title, totals, repeated header, unreadable line ...): nothing is lost.';
comment on column staging.quarantine.source_name is 'The source''s name in the sources file.';
comment on column staging.quarantine.source_kind is 'The source''s kind.';
comment on column staging.quarantine.source_file is 'The file, as its path is given relative to the sources file.';
comment on column staging.quarantine.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column staging.quarantine.row_number is '1-based data row under the header.';
comment on column staging.quarantine.physical_row is 'The row or line number in the file itself.';
comment on column staging.quarantine.file_sha256 is 'SHA-256 of the file.';
comment on column staging.quarantine.responsible is 'The employee who answers for the row.';
comment on column staging.quarantine.stage is 'The stage that set the row aside (extract, standardize).';
comment on column staging.quarantine.field is 'The field at fault, when one field is the reason.';
comment on column staging.quarantine.reason is 'Why the row was not loaded.';
comment on column staging.quarantine.raw_value is 'The row (or value) as written, as JSON. May hold personal data.';
comment on column staging.quarantine.as_of is 'The run''s as-of date.';
comment on column staging.quarantine.run_id is 'The run that set it aside.';
