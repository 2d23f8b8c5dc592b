-- Grain: one row per journal entry (call, visit) of the last published night. Key: record_id.
create table if not exists staging.interaction (
    record_id varchar primary key,
    source_name varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    interaction_at timestamp,
    interaction_type varchar,
    interaction_kind varchar,
    survey_score double precision,
    is_complaint boolean,
    notes varchar,
    tags varchar,
    preferences varchar,
    as_of date not null,
    run_id varchar not null
);
comment on table staging.interaction is 'The night''s journal entries (calls, visits); the contact written on each is in staging.contact under the same record_id.';
comment on column staging.interaction.record_id is 'The source row (staging.contact.record_id).';
comment on column staging.interaction.source_name is 'The source''s name in the sources file.';
comment on column staging.interaction.source_file is 'The file, as its path is given relative to the sources file.';
comment on column staging.interaction.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column staging.interaction.row_number is '1-based data row under the header.';
comment on column staging.interaction.interaction_at is 'When the call or visit took place.';
comment on column staging.interaction.interaction_type is 'The type or topic as the journal writes it (its source name when it has none).';
comment on column staging.interaction.interaction_kind is 'The kind of contact read from the type, else from the journal''s name (vocabulary.yml): call, visit, email, survey, chat, letter, or other.';
comment on column staging.interaction.survey_score is 'Satisfaction score given, when any.';
comment on column staging.interaction.is_complaint is 'True when the entry records a complaint: its complaint column says yes, or that column, its type or topic, or its tags hold a complaint word (vocabulary.yml, any language).';
comment on column staging.interaction.notes is 'Free text (topic, notes). May hold personal data.';
comment on column staging.interaction.tags is 'JSON list of tags.';
comment on column staging.interaction.preferences is 'JSON object of stated preferences (brands, categories).';
comment on column staging.interaction.as_of is 'The run''s as-of date.';
comment on column staging.interaction.run_id is 'The run that loaded the row.';
