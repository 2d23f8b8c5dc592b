-- Grain: one row per segment and acquisition channel of the last published night. Key: segment_id, channel.
-- Invariants: shares of a segment add up to 1.
create table if not exists marts.segment_channel (
    segment_id bigint not null,
    segment_name varchar not null,
    channel varchar not null,
    customers bigint not null,
    share double precision not null,
    as_of date not null,
    run_id varchar not null
);
comment on table marts.segment_channel is 'How the customers of each segment came to the company: customers and share per channel.';
comment on column marts.segment_channel.segment_id is 'The segment.';
comment on column marts.segment_channel.segment_name is 'Its name.';
comment on column marts.segment_channel.channel is 'Acquisition channel (radio, newspaper, events, web, referral, other, unknown).';
comment on column marts.segment_channel.customers is 'Customers of the segment who came by the channel.';
comment on column marts.segment_channel.share is 'customers over the segment''s customers (0..1).';
comment on column marts.segment_channel.as_of is 'The night''s as-of date.';
comment on column marts.segment_channel.run_id is 'The run that computed the row.';
