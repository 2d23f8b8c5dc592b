-- Grain: one row per night, responsible employee, source and mandatory field. Key: (run_id, responsible, source_name, field).
-- From dq.metric's mandatory_field_missing rule; kept for the nights dq.metric keeps (history.keep_nights).
create or replace view marts.completeness_by_manager as
with mandatory as (
    select
        as_of,
        run_id,
        responsible,
        source_name,
        field,
        checked,
        failed
    from dq.metric
    where rule = 'mandatory_field_missing'
),

final as (
    select
        as_of,
        run_id,
        responsible,
        source_name,
        field,
        cast(sum(checked) as bigint) as records_checked,
        cast(sum(failed) as bigint) as records_missing,
        case
            when sum(checked) = 0 then 1.0
            else 1.0 - cast(sum(failed) as double precision) / sum(checked)
        end as completeness
    from mandatory
    group by as_of, run_id, responsible, source_name, field
)

select * from final;
comment on view marts.completeness_by_manager is 'How complete each employee''s records are, night by night: per source and mandatory field (quality.yml), the records checked, those missing the field, and the share that has it.';
comment on column marts.completeness_by_manager.as_of is 'The night''s as-of date.';
comment on column marts.completeness_by_manager.run_id is 'The run that measured it.';
comment on column marts.completeness_by_manager.responsible is 'The employee who answers for the records.';
comment on column marts.completeness_by_manager.source_name is 'The source''s name in the sources file.';
comment on column marts.completeness_by_manager.field is 'The mandatory field (surname, phone_or_email ...).';
comment on column marts.completeness_by_manager.records_checked is 'Records in scope of the rule.';
comment on column marts.completeness_by_manager.records_missing is 'Records without the field (each is a row of dq.failure).';
comment on column marts.completeness_by_manager.completeness is 'Share (0 to 1) of the records that have the field.';
