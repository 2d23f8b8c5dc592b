-- Grain: one row per pair of records a data steward decided on (the latest decision per pair). Written by
-- `crm-etl review import` or the steward's console (`crm-etl console`), never by the nightly run.
-- Key: (fingerprint_l, fingerprint_r).
create table if not exists core.match_decision (
    record_id_l varchar not null,
    record_id_r varchar not null,
    fingerprint_l varchar not null,
    fingerprint_r varchar not null,
    is_match boolean not null,
    decided_by varchar not null,
    decided_at timestamp not null,
    workbook varchar not null,
    note varchar
);
comment on table core.match_decision is 'A data steward''s verdicts on doubtful pairs: must-link (is_match) or cannot-link constraints that hold in every later run while both records say the same thing.';
comment on column core.match_decision.record_id_l is 'One record of the pair, where it was when decided (staging.contact.record_id).';
comment on column core.match_decision.record_id_r is 'The other record, where it was when decided.';
comment on column core.match_decision.fingerprint_l is 'Content fingerprint of the first record: the decision follows the record when its row moves and lapses when it is edited.';
comment on column core.match_decision.fingerprint_r is 'Content fingerprint of the second record.';
comment on column core.match_decision.is_match is 'true: the same customer; false: different customers.';
comment on column core.match_decision.decided_by is 'Who decided (the reviewer named in the workbook or signed in to the console, else the importing user).';
comment on column core.match_decision.decided_at is 'When the decision was imported or made in the console (UTC).';
comment on column core.match_decision.workbook is 'The review workbook the decision came from (''console'' for a decision made in the steward''s console).';
comment on column core.match_decision.note is 'The steward''s note on the pair, if any (written in the console).';
