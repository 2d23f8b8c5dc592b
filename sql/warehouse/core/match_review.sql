-- Grain: one row per doubtful pair of the last published night not yet decided. Key: (record_id_l, record_id_r).
create table if not exists core.match_review (
    record_id_l varchar not null,
    record_id_r varchar not null,
    customer_id_l varchar not null,
    customer_id_r varchar not null,
    match_weight double precision not null,
    match_probability double precision not null,
    review_reason varchar,
    review_priority double precision,
    as_of date not null,
    run_id varchar not null
);
comment on table core.match_review is 'Pairs of records the model is unsure about (probability between the review thresholds of linkage.yml) or finds likely but a conflict rule kept apart, the most consequential first and at most review.max_share_of_records of the night''s records, waiting for a data steward; the night''s review workbook lists the same pairs side by side.';
comment on column core.match_review.record_id_l is 'One record (staging.contact.record_id).';
comment on column core.match_review.record_id_r is 'The other record.';
comment on column core.match_review.customer_id_l is 'The customer the first record was put in tonight.';
comment on column core.match_review.customer_id_r is 'The customer the second record was put in tonight.';
comment on column core.match_review.match_weight is 'Evidence for a match in bits (log2 of the Bayes factor): positive for, negative against.';
comment on column core.match_review.match_probability is 'The model''s probability that the two records are the same customer.';
comment on column core.match_review.review_reason is 'Why the pair is here, in words: the model is unsure, or a conflict rule of linkage.yml kept a likely pair in two customers (which rule, which records).';
comment on column core.match_review.review_priority is 'What a wrong decision would cost: records of the customers the decision joins or splits, times how unsure the model is (1 at probability 0.5; 1 for a pair a rule kept apart). The list holds the highest, up to review.max_share_of_records of the night''s records.';
comment on column core.match_review.as_of is 'The night''s as-of date.';
comment on column core.match_review.run_id is 'The run that found the pair.';
