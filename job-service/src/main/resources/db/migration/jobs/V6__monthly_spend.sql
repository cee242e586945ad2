-- The billing rule, once, for usage, the retention archive and the monthly spend below: the share of a job's
-- cost (and megapixels) it is billed. REQUEST_MODERATED and ERROR: nothing; CANCELLED: the steps it ran;
-- every other status (done, or still unfinished and so provisionally): all of it.
create function jobs.billed_share(status text, steps_run integer, total_steps integer) returns numeric
    language sql immutable as $$
    select case
               when status in ('ERROR', 'REQUEST_MODERATED') then 0
               when status = 'CANCELLED' then
                   case when coalesce(total_steps, 0) > 0
                        then least(coalesce(steps_run, 0)::numeric / total_steps, 1) else 0 end
               else 1
           end
$$;

-- A tenant's billed credits per calendar month (UTC), kept by a trigger in the same transaction as every change
-- of a job, so the spend-cap check of a create reads one row instead of summing the tenant's month. Deleting a
-- job (the retention sweep) leaves its month alone: what it was billed moves to jobs.usage_archive and still counts.
create table jobs.monthly_spend (
    tenant_id text    not null,
    month     date    not null,
    credits   numeric not null,
    primary key (tenant_id, month)
);

-- Only a change of what a job is billed writes: the steps of a running job (billed in full either way) leave
-- the tenant's row alone.
create function jobs.count_monthly_spend() returns trigger language plpgsql as $$
declare
    was     numeric := case when tg_op = 'INSERT' then 0
                            else coalesce(old.cost, 0) * jobs.billed_share(old.status, old.steps_run, old.total_steps) end;
    billed  numeric := coalesce(new.cost, 0) * jobs.billed_share(new.status, new.steps_run, new.total_steps);
begin
    if billed = was then
        return null;
    end if;
    insert into jobs.monthly_spend (tenant_id, month, credits)
    values (new.tenant_id, date_trunc('month', new.created_at at time zone 'UTC')::date, billed - was)
    on conflict (tenant_id, month) do update set credits = jobs.monthly_spend.credits + excluded.credits;
    return null;
end
$$;

-- Created before the totals are summed: it waits for the writes in flight and holds new ones off until this
-- migration commits, so no job is counted twice or missed.
create trigger jobs_monthly_spend after insert or update of status, steps_run, total_steps, cost on jobs.jobs
    for each row execute function jobs.count_monthly_spend();

insert into jobs.monthly_spend (tenant_id, month, credits)
select tenant_id, month, sum(credits)
from (select j.tenant_id, date_trunc('month', j.created_at at time zone 'UTC')::date as month,
             coalesce(j.cost, 0) * jobs.billed_share(j.status, j.steps_run, j.total_steps) as credits
      from jobs.jobs j
      union all
      select a.tenant_id, date_trunc('month', a.created_at at time zone 'UTC')::date, a.credits
      from jobs.usage_archive a) billed
group by tenant_id, month;
