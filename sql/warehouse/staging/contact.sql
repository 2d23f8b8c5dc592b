-- Grain: one row per customer-identifying source record (journal entry, spreadsheet row, accounting
-- customer) of the last published night. Key: record_id (= source_name, source_file, sheet, row_number).
create table if not exists staging.contact (
    record_id varchar primary key,
    source_name varchar not null,
    source_kind varchar not null,
    source_file varchar not null,
    sheet varchar not null,
    row_number bigint not null,
    physical_row bigint not null,
    file_sha256 varchar not null,
    responsible varchar not null,
    customer_code varchar,
    given_name varchar,
    surname varchar,
    patronymic varchar,
    full_name varchar,
    given_name_latin varchar,
    surname_latin varchar,
    surname_key varchar,
    sex varchar,
    date_of_birth date,
    phone varchar,
    phone_e164 varchar,
    email varchar,
    email_key varchar,
    street varchar,
    city varchar,
    postcode varchar,
    country varchar,
    tax_id varchar,
    tax_id_kind varchar,
    is_tax_id_valid boolean,
    company varchar,
    last_updated_on date,
    channel varchar,
    channel_as_written varchar,
    attributes varchar,
    as_of date not null,
    run_id varchar not null
);
comment on table staging.contact is 'The night''s standardized contact records, one per source row that identifies a customer, with lineage.';
comment on column staging.contact.record_id is 'Stable id of the source row: a hash of source_name, source_file, sheet and row_number.';
comment on column staging.contact.source_name is 'The source''s name in the sources file.';
comment on column staging.contact.source_kind is 'journal, spreadsheet or accounting_customers.';
comment on column staging.contact.source_file is 'The file, as its path is given relative to the sources file.';
comment on column staging.contact.sheet is 'The sheet of a workbook; empty for CSV and JSON-lines files.';
comment on column staging.contact.row_number is '1-based data row counted from the first row under the header, blank and non-record rows counted.';
comment on column staging.contact.physical_row is 'The row (xlsx) or line (CSV, JSON lines) number in the file itself.';
comment on column staging.contact.file_sha256 is 'SHA-256 of the file the row was read from.';
comment on column staging.contact.responsible is 'The employee who answers for this record (per file, or from a column).';
comment on column staging.contact.customer_code is 'The customer''s code in the source system, when it has one (accounting).';
comment on column staging.contact.given_name is 'Given name as written, cleaned (Unicode, spacing); split from a full name when needed. Personal data.';
comment on column staging.contact.surname is 'Surname as written, cleaned. Personal data.';
comment on column staging.contact.patronymic is 'Patronymic, when written or split from a full name. Personal data.';
comment on column staging.contact.full_name is 'The full name as written, when the source has one column for it. Personal data.';
comment on column staging.contact.given_name_latin is 'Given name in Latin letters (transliterated, diacritics folded, lower case). Personal data.';
comment on column staging.contact.surname_latin is 'Surname in Latin letters (transliterated, diacritics folded, lower case). Personal data.';
comment on column staging.contact.surname_key is 'Match key of the surname, the same across transliteration systems (Ivanov, Iwanow).';
comment on column staging.contact.sex is 'F or M when written.';
comment on column staging.contact.date_of_birth is 'Date of birth, parsed; empty when missing, a sentinel, impossible or ambiguous (see staging.field_issue). Personal data.';
comment on column staging.contact.phone is 'Phone as written. Personal data.';
comment on column staging.contact.phone_e164 is 'Phone in E.164 form (+48601234567), read in the row''s country, then the source''s region, then the company''s other countries. Personal data.';
comment on column staging.contact.email is 'E-mail, lower-cased, common domain typos fixed. Personal data.';
comment on column staging.contact.email_key is 'Match key of the e-mail: +tags dropped, and dots for Gmail.';
comment on column staging.contact.street is 'Street and number, abbreviations normalized. Personal data.';
comment on column staging.contact.city is 'City. Personal data.';
comment on column staging.contact.postcode is 'Postcode in the country''s format. Personal data.';
comment on column staging.contact.country is 'ISO 3166 two-letter country code.';
comment on column staging.contact.tax_id is 'Tax id digits (NIP, INN, VAT), prefix removed.';
comment on column staging.contact.tax_id_kind is 'NIP, INN, VAT or OTHER.';
comment on column staging.contact.is_tax_id_valid is 'Whether the tax id''s checksum holds (empty when there is no checksum to test).';
comment on column staging.contact.company is 'Company name, for business customers.';
comment on column staging.contact.last_updated_on is 'When the record was last updated, as the source says.';
comment on column staging.contact.channel is 'Acquisition channel in one vocabulary (radio, newspaper, events, web, referral ..., other), whatever the language it was written in (vocabulary.yml).';
comment on column staging.contact.channel_as_written is 'The acquisition channel as the source writes it (сайт, internet, Website ...).';
comment on column staging.contact.attributes is 'JSON object of custom fields and unmapped columns, as written.';
comment on column staging.contact.as_of is 'The run''s as-of date.';
comment on column staging.contact.run_id is 'The run that loaded the row.';
