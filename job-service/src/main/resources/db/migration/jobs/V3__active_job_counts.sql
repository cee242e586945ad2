-- The unfinished jobs of each API key, kept by a trigger in the same transaction as every change of a job,
-- so a create can check the key's active-job limit and insert in one statement: it locks the key's row
-- (READ COMMITTED re-reads the row a concurrent create committed), and its own insert moves the count on.
create table jobs.active_job_counts (
    api_key_id text    primary key,
    active     integer not null
);

insert into jobs.active_job_counts (api_key_id, active)
select api_key_id, count(*) from jobs.jobs
where api_key_id is not null and status in ('AWAITING_SAFETY', 'QUEUED', 'RUNNING', 'CHECKING_OUTPUT')
group by api_key_id;

-- Only a change of "unfinished" touches the count: the steps in between (screened, leased, checking the
-- output) leave the key's row alone, so they never wait on a create of the same key.
create function jobs.count_active_jobs() returns trigger language plpgsql as $$
declare
    unfinished constant text[] := array['AWAITING_SAFETY', 'QUEUED', 'RUNNING', 'CHECKING_OUTPUT'];
    was_counted boolean := tg_op <> 'INSERT' and old.api_key_id is not null and old.status = any(unfinished);
    is_counted  boolean := tg_op <> 'DELETE' and new.api_key_id is not null and new.status = any(unfinished);
begin
    if was_counted and is_counted and old.api_key_id = new.api_key_id then
        return null;
    end if;
    if was_counted then
        update jobs.active_job_counts set active = active - 1 where api_key_id = old.api_key_id;
    end if;
    if is_counted then
        insert into jobs.active_job_counts (api_key_id, active) values (new.api_key_id, 1)
        on conflict (api_key_id) do update set active = jobs.active_job_counts.active + 1;
    end if;
    return null;
end
$$;

create trigger jobs_count_active after insert or delete or update of status, api_key_id on jobs.jobs
    for each row execute function jobs.count_active_jobs();
