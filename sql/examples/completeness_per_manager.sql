-- Completeness per manager: how complete each employee's records are on the last published night, overall and
-- for their weakest mandatory field, so each manager knows what to fill in first.
-- Reads marts.completeness_by_manager (from the data-quality metrics) and marts.published_night.
-- One row per employee, the least complete first.
with latest_run as (
    select run_id
    from marts.published_night
    order by published_at desc
    limit 1
),

metrics as (
    select
        m.responsible,
        m.field,
        m.records_checked,
        m.records_missing
    from marts.completeness_by_manager as m
    inner join latest_run as r on r.run_id = m.run_id
),

by_field as (
    select
        responsible,
        field,
        sum(records_checked) as checked,
        sum(records_missing) as missing,
        row_number() over (
            partition by responsible
            order by cast(sum(records_missing) as double precision) / nullif(sum(records_checked), 0) desc, field
        ) as weakness_order
    from metrics
    group by responsible, field
),

by_manager as (
    select
        responsible,
        sum(checked) as values_checked,
        sum(missing) as values_missing
    from by_field
    group by responsible
),

final as (
    select
        m.responsible,
        m.values_checked,
        m.values_missing,
        1.0 - cast(m.values_missing as double precision) / nullif(m.values_checked, 0) as completeness,
        w.field as weakest_field,
        1.0 - cast(w.missing as double precision) / nullif(w.checked, 0) as weakest_field_completeness
    from by_manager as m
    left join by_field as w on w.responsible = m.responsible and w.weakness_order = 1
)

select * from final
order by completeness, responsible
