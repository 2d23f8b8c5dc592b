-- Grain: one row per nightly run, kept forever. Key: run_id.
create table if not exists ops.run (
    run_id varchar primary key,
    as_of date not null,
    status varchar not null,
    started_at timestamp not null,
    finished_at timestamp,
    sources_file varchar,
    warehouse varchar,
    rows_read bigint,
    rows_loaded bigint,
    rows_quarantined bigint,
    files_failed integer,
    message varchar,
    owner_pid integer,
    owner_host varchar,
    owner_since timestamp
);
comment on table ops.run is 'One row per nightly run (kept forever): its as-of date, outcome and row counts.';
comment on column ops.run.run_id is 'Identifier of the run (the scheduler''s run id, or one made by crm-etl run).';
comment on column ops.run.as_of is 'The business date the run consolidates data as of.';
comment on column ops.run.status is 'running, succeeded, succeeded_with_errors (some files unreadable) or failed (also when its process stopped without finishing).';
comment on column ops.run.started_at is 'When the run started (UTC).';
comment on column ops.run.finished_at is 'When the run finished (UTC); empty while it runs or if it died.';
comment on column ops.run.sources_file is 'The sources file the run read.';
comment on column ops.run.warehouse is 'The warehouse URL, password removed.';
comment on column ops.run.rows_read is 'Rows read under the header of every file.';
comment on column ops.run.rows_loaded is 'Rows loaded into staging tables.';
comment on column ops.run.rows_quarantined is 'Rows set aside in staging.quarantine with their reason.';
comment on column ops.run.files_failed is 'Files that could not be read at all (see ops.reconciliation.error).';
comment on column ops.run.message is 'What went wrong, when something did.';
comment on column ops.run.owner_pid is 'Process id running the run (or its current task) while it runs; a process gone while the run is still running means the run died (marked failed by the next run or crm-etl status).';
comment on column ops.run.owner_host is 'Host of that process (a process is only judged on its own host).';
comment on column ops.run.owner_since is 'When that process took the run (UTC): a newer process with the same id is another one.';
