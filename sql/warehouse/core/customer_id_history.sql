-- Grain: one row per customer id event (created, merged, split, records moved, retired) per night; kept forever.
-- Key: (run_id, customer_id, event, related_customer_id). A ledger: each published run adds the changes from the
-- state published before it (a night run again without changes adds nothing; a retried publish replaces its own).
create table if not exists core.customer_id_history (
    customer_id varchar not null,
    event varchar not null,
    related_customer_id varchar,
    record_count bigint not null,
    reason varchar not null,
    as_of date not null,
    run_id varchar not null
);
comment on table core.customer_id_history is 'Every change of customer ids, night by night: new customers, merges, splits, records moving between customers, customers whose records are gone. Never pruned.';
comment on column core.customer_id_history.customer_id is 'The customer the event is about.';
comment on column core.customer_id_history.event is 'created, absorbed (took over another customer''s records), merged_into (its records now belong to related_customer_id; the id is no longer used), split_from (a new customer made of records that were part of related_customer_id), records_moved_in, succeeds (took the records of an id that no longer exists), retired (none of its records is in the sources any more).';
comment on column core.customer_id_history.related_customer_id is 'The other customer of a merge, split or move.';
comment on column core.customer_id_history.record_count is 'How many records the event concerns.';
comment on column core.customer_id_history.reason is 'Why, in words.';
comment on column core.customer_id_history.as_of is 'The night''s as-of date.';
comment on column core.customer_id_history.run_id is 'The run in which it happened.';
