-- Who may read and write the warehouse (PostgreSQL). Run by a database owner or superuser in the warehouse
-- database, after the warehouse exists or before its first night:
--     psql "$WAREHOUSE" -f sql/access/roles.sql        or        crm-etl warehouse roles --warehouse URL
-- Safe to run again at any time (after a schema change, a new mart, a run made by another user): every
-- statement creates only what is missing and grants only what is already granted or due.
--
-- Three group roles (they cannot log in; grant them to people and service accounts):
--   crm_loader   the nightly run. Owns the warehouse objects and writes every table. Connect the pipeline as a
--                login that is a member of crm_loader with the role set on connection, e.g.
--                postgresql+psycopg2://etl@host/crm?options=-crole%3Dcrm_loader
--                so that tables it creates later belong to crm_loader and the default privileges below apply.
--   crm_steward  data stewards: read everything (personal data included), write review decisions
--                (core.match_decision), nothing else.
--   crm_analyst  analysts: read the marts schema only: marts tables and the analyst views in
--                sql/warehouse/views, which leave out or mask names, phones, e-mails, addresses, dates of
--                birth and tax ids. No access to staging, core, dq or ops.
--   grant crm_analyst to alice;   grant crm_steward to bob;   grant crm_loader to etl;

-- 1. The roles, created once (a concurrent run creating the same role is not an error).
do $$
declare
    r text;
begin
    foreach r in array array['crm_loader', 'crm_steward', 'crm_analyst'] loop
        if not exists (select 1 from pg_roles where rolname = r) then
            begin
                execute format('create role %I nologin', r);
            exception when duplicate_object or unique_violation then
                null;
            end;
        end if;
    end loop;
end
$$;

-- 2. The schemas (as in sql/warehouse/00_schemas.sql), so the grants below can be made before the first night.
create schema if not exists staging;
create schema if not exists core;
create schema if not exists marts;
create schema if not exists dq;
create schema if not exists ops;

-- 3. The loader may create schemas in this database (the nightly run says "create schema if not exists").
do $$
begin
    execute format('grant create, connect on database %I to crm_loader', current_database());
    execute format('grant connect on database %I to crm_steward, crm_analyst', current_database());
end
$$;

-- 4. The loader owns every schema, table and view of the warehouse, whoever created them: only an owner may
--    comment on a table, add a column or replace a view, which the nightly run does.
do $$
declare
    s text;
    obj record;
begin
    foreach s in array array['staging', 'core', 'marts', 'dq', 'ops'] loop
        execute format('alter schema %I owner to crm_loader', s);
    end loop;
    for obj in
        select n.nspname as schema_name, c.relname as object_name, c.relkind
        from pg_class as c
        inner join pg_namespace as n on n.oid = c.relnamespace
        where n.nspname in ('staging', 'core', 'marts', 'dq', 'ops') and c.relkind in ('r', 'v', 'p')
    loop
        execute format(
            'alter %s %I.%I owner to crm_loader',
            case when obj.relkind = 'v' then 'view' else 'table' end,
            obj.schema_name,
            obj.object_name
        );
    end loop;
end
$$;

-- 5. Privileges on what exists now.
grant usage, create on schema staging, core, marts, dq, ops to crm_loader;
grant select, insert, update, delete, truncate on all tables in schema staging, core, marts, dq, ops to crm_loader;

grant usage on schema staging, core, marts, dq, ops to crm_steward;
grant select on all tables in schema staging, core, marts, dq, ops to crm_steward;

grant usage on schema marts to crm_analyst;
grant select on all tables in schema marts to crm_analyst;

-- Review decisions: the one table a steward writes (it exists once the warehouse's tables were created:
-- `crm-etl warehouse roles` creates them first; with psql, run the script again after the first night).
do $$
begin
    if to_regclass('core.match_decision') is not null then
        grant select, insert, update, delete on core.match_decision to crm_steward;
    else
        raise notice 'core.match_decision does not exist yet: run this script again after the first night';
    end if;
end
$$;

-- 6. Nobody else: the schemas are closed to PUBLIC (every login), whatever was granted before.
revoke all on schema staging, core, marts, dq, ops from public;

-- 7. Tables and views crm_loader creates later get the same privileges without running this script again.
alter default privileges for role crm_loader in schema staging, core, marts, dq, ops
    grant select on tables to crm_steward;
alter default privileges for role crm_loader in schema marts
    grant select on tables to crm_analyst;
