-- Grain: one row per problem found in one field of one loaded source row. Key: (source_name, source_file, sheet, row_number, field, issue).
create table if not exists staging.field_issue (
    record_id varchar not null,
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    responsible varchar not null,
    field varchar not null,
    issue varchar not null,
    raw_value varchar,
    as_of date not null,
    run_id varchar not null
);
comment on table staging.field_issue is 'Values that standardization could not use as written: sentinels, unparseable or ambiguous dates, invalid phones and e-mails.';
comment on column staging.field_issue.record_id is 'The source row (staging.contact/invoice/payment.record_id).';
comment on column staging.field_issue.source_name is 'The source''s name in the sources file.';
comment on column staging.field_issue.source_file is 'The file, as its path is given relative to the sources file.';
comment on column staging.field_issue.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column staging.field_issue.row_number is '1-based data row under the header.';
comment on column staging.field_issue.responsible is 'The employee who answers for the row.';
comment on column staging.field_issue.field is 'The logical field (phone, email, date_of_birth ...).';
comment on column staging.field_issue.issue is 'What is wrong: sentinel:<marker>, unparseable, ambiguous, impossible, invalid_format, too_short ...';
comment on column staging.field_issue.raw_value is 'The value as written. May hold personal data.';
comment on column staging.field_issue.as_of is 'The run''s as-of date.';
comment on column staging.field_issue.run_id is 'The run that found it.';
