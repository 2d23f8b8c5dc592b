-- Grain: one row per customer of the last published night. Key: customer_id.
create table if not exists marts.customer_segment (
    customer_id varchar not null,
    segment_id bigint not null,
    segment_name varchar not null,
    assigned_at timestamp not null,
    as_of date not null,
    run_id varchar not null
);
comment on table marts.customer_segment is 'The segment of every customer tonight, from the clustering model (segments.yml); who moved between segments is in marts.segment_movement.';
comment on column marts.customer_segment.customer_id is 'The customer (core.customer).';
comment on column marts.customer_segment.segment_id is 'The customer''s segment tonight; a segment keeps its id from night to night while it stays recognisably the same (marts.segment_profile).';
comment on column marts.customer_segment.segment_name is 'The segment''s readable name, e.g. ''frequent high spenders, pay late''.';
comment on column marts.customer_segment.assigned_at is 'When the assignment holds from: the night''s as-of date.';
comment on column marts.customer_segment.as_of is 'The night''s as-of date.';
comment on column marts.customer_segment.run_id is 'The run that assigned the segment.';
