-- Grain: one row per run that published (kept forever, like ops.run). Key: run_id.
-- Lets an analyst check how fresh the marts are before reading them.
create or replace view marts.published_night as
with published as (
    select
        run_id,
        as_of,
        status,
        finished_at,
        rows_read,
        rows_loaded,
        rows_quarantined,
        files_failed
    from ops.run
    where status in ('succeeded', 'succeeded_with_errors')
),

final as (
    select
        run_id,
        as_of,
        finished_at as published_at,
        status = 'succeeded_with_errors' as is_partial,
        rows_read,
        rows_loaded,
        rows_quarantined,
        files_failed
    from published
)

select * from final;
comment on view marts.published_night is 'The nights that were published, newest last: when, and how many source rows were read, loaded and set aside. The marts hold the newest one.';
comment on column marts.published_night.run_id is 'The run (the run_id column of every table).';
comment on column marts.published_night.as_of is 'The business date the night consolidates data as of.';
comment on column marts.published_night.published_at is 'When the night''s tables became visible (UTC).';
comment on column marts.published_night.is_partial is 'True when some files could not be read and the night was published without them.';
comment on column marts.published_night.rows_read is 'Rows read under the header of every file.';
comment on column marts.published_night.rows_loaded is 'Rows loaded into staging tables.';
comment on column marts.published_night.rows_quarantined is 'Rows set aside with their reason.';
comment on column marts.published_night.files_failed is 'Files that could not be read at all.';
