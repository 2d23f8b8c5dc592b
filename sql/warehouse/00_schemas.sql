-- The warehouse's schemas: staging (the night's standardized records and quarantine), core, marts, dq, ops.
create schema if not exists staging;
create schema if not exists core;
create schema if not exists marts;
create schema if not exists dq;
create schema if not exists ops;
