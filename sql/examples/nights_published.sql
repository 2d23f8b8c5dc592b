-- Nights published: how fresh the marts are and whether the last nights loaded as many rows as usual.
-- A night with far fewer rows loaded, or marked partial (a file could not be read), deserves a look before
-- trusting the marts. Reads marts.published_night. One row per published night, the latest 14, newest first.
with nights as (
    select
        run_id,
        as_of,
        published_at,
        is_partial,
        rows_read,
        rows_loaded,
        rows_quarantined,
        files_failed
    from marts.published_night
),

final as (
    select
        as_of,
        run_id,
        published_at,
        is_partial,
        rows_read,
        rows_loaded,
        rows_quarantined,
        files_failed,
        rows_loaded - lag(rows_loaded) over (order by published_at) as rows_loaded_change
    from nights
)

select * from final
order by published_at desc
limit 14
