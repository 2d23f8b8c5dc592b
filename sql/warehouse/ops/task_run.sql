-- Grain: one row per task attempt of a run. Key: (run_id, task, started_at).
create table if not exists ops.task_run (
    run_id varchar not null,
    task varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    status varchar not null,
    rows_in bigint,
    rows_out bigint,
    peak_memory_mb double precision,
    message varchar
);
comment on table ops.task_run is 'One row per task attempt: timing, rows in and out, peak memory and outcome.';
comment on column ops.task_run.run_id is 'The run (ops.run.run_id).';
comment on column ops.task_run.task is 'The stage: extract, standardize, publish ...; a night run file by file (the DAG on several workers) also logs each file: extract_file <file>, standardize_file <file>, validate_file <file>.';
comment on column ops.task_run.started_at is 'When the attempt started (UTC).';
comment on column ops.task_run.finished_at is 'When the attempt ended (UTC).';
comment on column ops.task_run.status is 'succeeded or failed.';
comment on column ops.task_run.rows_in is 'Rows the task read.';
comment on column ops.task_run.rows_out is 'Rows the task wrote.';
comment on column ops.task_run.peak_memory_mb is 'Peak resident memory of the process during the task, in MB.';
comment on column ops.task_run.message is 'The error, when the task failed.';
