-- Grain: one row per journal entry (call, visit) of the last published night, with its customer. Key: record_id.
create table if not exists core.interaction (
    record_id varchar primary key,
    customer_id varchar not null,
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    interaction_at timestamp,
    interaction_type varchar,
    interaction_kind varchar,
    survey_score double precision,
    is_complaint boolean,
    responsible varchar not null,
    as_of date not null,
    run_id varchar not null
);
comment on table core.interaction is 'Calls and visits from the journals, each with the customer it was linked to.';
comment on column core.interaction.record_id is 'The journal row (staging.interaction.record_id = staging.contact.record_id).';
comment on column core.interaction.customer_id is 'The customer (core.customer).';
comment on column core.interaction.source_name is 'The journal''s source name.';
comment on column core.interaction.source_file is 'The journal file, as given in the sources file.';
comment on column core.interaction.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column core.interaction.row_number is '1-based data row under the header.';
comment on column core.interaction.interaction_at is 'When the call or visit happened.';
comment on column core.interaction.interaction_type is 'The kind of contact (the journal''s type column, else its source name).';
comment on column core.interaction.interaction_kind is 'call, visit, email, survey, chat, letter or other, read from the type, else from the journal''s name (vocabulary.yml).';
comment on column core.interaction.survey_score is 'Satisfaction score given during the contact, when asked.';
comment on column core.interaction.is_complaint is 'Whether the contact was a complaint (a complaint column, or a complaint word in its type, topic or tags).';
comment on column core.interaction.responsible is 'The employee who logged it.';
comment on column core.interaction.as_of is 'The night''s as-of date.';
comment on column core.interaction.run_id is 'The run that linked it.';
