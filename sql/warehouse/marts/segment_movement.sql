-- Grain: one row per customer whose segment changed, per night (kept across nights; a night run again replaces its
-- rows). Key: customer_id, as_of.
-- Invariants: from_segment_id <> to_segment_id when both are set.
create table if not exists marts.segment_movement (
    customer_id varchar not null,
    from_segment_id bigint,
    from_segment_name varchar,
    to_segment_id bigint,
    to_segment_name varchar,
    movement varchar not null,
    as_of date not null,
    run_id varchar not null
);
comment on table marts.segment_movement is 'Customers who changed segment from one published night to the next, and customers who joined or left; kept for every night.';
comment on column marts.segment_movement.customer_id is 'The customer.';
comment on column marts.segment_movement.from_segment_id is 'Last night''s segment; empty for a customer new tonight.';
comment on column marts.segment_movement.from_segment_name is 'Last night''s segment name.';
comment on column marts.segment_movement.to_segment_id is 'Tonight''s segment; empty for a customer gone tonight (merged into another, or no longer in the sources).';
comment on column marts.segment_movement.to_segment_name is 'Tonight''s segment name.';
comment on column marts.segment_movement.movement is 'moved (another segment), joined (new customer) or left (customer gone).';
comment on column marts.segment_movement.as_of is 'The night of the change.';
comment on column marts.segment_movement.run_id is 'The run that recorded it.';
