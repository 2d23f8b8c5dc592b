-- Grain: one row per source, field, rule and responsible employee per night (a night run again replaces its rows).
-- Key: (as_of, source_name, field, rule, responsible).
create table if not exists dq.metric (
    source_name varchar not null,
    field varchar not null,
    rule varchar not null,
    responsible varchar not null,
    severity varchar not null,
    checked bigint not null,
    failed bigint not null,
    completeness double precision not null,
    as_of date not null,
    run_id varchar not null
);
comment on table dq.metric is 'How many rows each data-quality rule checked and how many failed, per source, field and employee, per night.';
comment on column dq.metric.source_name is 'The source''s name in the sources file.';
comment on column dq.metric.field is 'The logical field the rule checks (* for the whole row).';
comment on column dq.metric.rule is 'The rule id (see dq.failure.rule).';
comment on column dq.metric.responsible is 'The employee who answers for the rows.';
comment on column dq.metric.severity is 'critical, warning or info, from the quality settings.';
comment on column dq.metric.checked is 'Rows the rule looked at (rows in scope; for format rules, rows with a value); files, for the file rules source_freshness and row_count_drop.';
comment on column dq.metric.failed is 'Rows that failed (each is a row of dq.failure).';
comment on column dq.metric.completeness is 'Share of checked rows that pass: 1 - failed / checked (1 when nothing was checked); for mandatory_field_missing, the field''s completeness.';
comment on column dq.metric.as_of is 'The run''s as-of date.';
comment on column dq.metric.run_id is 'The run that measured it.';
