-- Issue 4: cancel, usage, idempotency, webhooks, LISTEN/NOTIFY wake-ups.

alter table jobs.jobs drop constraint jobs_status_known;
alter table jobs.jobs add constraint jobs_status_known check (status in ('AWAITING_SAFETY', 'QUEUED', 'RUNNING',
    'CHECKING_OUTPUT', 'READY', 'REQUEST_MODERATED', 'CONTENT_MODERATED', 'ERROR', 'CANCELLED'));

alter table jobs.jobs
    -- The API key that submitted the job: its unfinished jobs count against its active-job limit.
    add column api_key_id     text,
    -- Credits the gateway priced the job at; usage bills a share of it (see UsageReport).
    add column cost           numeric,
    -- The last step a worker reported (heartbeat) or the steps a cancelled job ran; billing of a cancel.
    add column steps_run      int,
    -- Steps the job runs: the request's, or what the worker reported.
    add column total_steps    int,
    -- Where to POST the final status, and the secret that signs it (Standard Webhooks).
    add column webhook_url    text,
    add column webhook_secret text;

-- Counting a key's unfinished jobs (the active-job limit) looks only at those.
create index jobs_active_by_key on jobs.jobs (api_key_id)
    where status in ('AWAITING_SAFETY', 'QUEUED', 'RUNNING', 'CHECKING_OUTPUT');

-- The retention sweeper looks for old finished jobs.
create index jobs_finished on jobs.jobs (updated_at)
    where status in ('READY', 'REQUEST_MODERATED', 'CONTENT_MODERATED', 'ERROR', 'CANCELLED');

-- Listing a tenant's jobs pages by (created_at, id).
drop index jobs.jobs_tenant;
create index jobs_tenant on jobs.jobs (tenant_id, created_at desc, id desc);

-- One create per (tenant, Idempotency-Key) within the key's lifetime.
create table jobs.idempotency_keys (
    tenant_id    text        not null,
    key          text        not null,
    request_hash text,
    job_id       uuid        not null references jobs.jobs (id) on delete cascade,
    created_at   timestamptz not null default now(),
    primary key (tenant_id, key)
);

create index idempotency_keys_created on jobs.idempotency_keys (created_at);

-- One row per webhook message; retries update the row, so its id (the webhook-id header) stays stable.
create table jobs.webhook_deliveries (
    id               uuid        primary key,
    job_id           uuid        not null references jobs.jobs (id) on delete cascade,
    url              text        not null,
    event_type       text        not null,
    payload          jsonb       not null,
    attempts         int         not null default 0,
    next_attempt_at  timestamptz not null default now(),
    status           text        not null default 'pending',
    last_status_code int,
    last_error       text,
    created_at       timestamptz not null default now(),
    -- Retries stop this long (configured) after the window started; a manual redelivery starts a new window.
    window_started_at timestamptz not null default now(),
    delivered_at     timestamptz,
    constraint webhook_deliveries_status_known check (status in ('pending', 'delivered', 'failed'))
);

create index webhook_deliveries_due on jobs.webhook_deliveries (next_attempt_at) where status = 'pending';
create index webhook_deliveries_job on jobs.webhook_deliveries (job_id, created_at);

-- A job's history goes when the job goes.
alter table jobs.job_events drop constraint job_events_job_id_fkey;
alter table jobs.job_events add constraint job_events_job_id_fkey
    foreign key (job_id) references jobs.jobs (id) on delete cascade;

-- Wakes every replica's waiting long-polls (LISTEN jobs_queued) whenever a job becomes QUEUED, however it
-- got there: created and screened, retried, taken back from an expired lease, or inserted by hand.
create function jobs.notify_queued() returns trigger language plpgsql as $$
begin
    if new.status = 'QUEUED' and (tg_op = 'INSERT' or old.status is distinct from 'QUEUED') then
        perform pg_notify('jobs_queued', new.model);
    end if;
    return null;
end
$$;

create trigger jobs_notify_queued after insert or update of status on jobs.jobs
    for each row execute function jobs.notify_queued();

-- Wakes the SSE streams of a job (LISTEN job_events) whenever its history grows.
create function jobs.notify_event() returns trigger language plpgsql as $$
begin
    perform pg_notify('job_events', new.job_id::text);
    return null;
end
$$;

create trigger job_events_notify after insert on jobs.job_events
    for each row execute function jobs.notify_event();

-- A job that reaches a final status with a webhook gets its delivery in the same transaction, so no
-- code path that ends a job can forget it. The payload is BFL's get_result shape (see internal-api.md).
create function jobs.enqueue_webhook() returns trigger language plpgsql as $$
declare
    final constant text[] := array['READY', 'REQUEST_MODERATED', 'CONTENT_MODERATED', 'ERROR', 'CANCELLED'];
begin
    if new.webhook_url is not null and new.status = any(final)
       and (tg_op = 'INSERT' or not (old.status = any(final))) then
        insert into jobs.webhook_deliveries (id, job_id, url, event_type, payload)
        values (gen_random_uuid(), new.id, new.webhook_url, 'job.' || lower(new.status),
                jsonb_strip_nulls(jsonb_build_object(
                    'id', new.id,
                    'type', 'job.' || lower(new.status),
                    'status', case new.status
                        when 'READY' then 'Ready'
                        when 'REQUEST_MODERATED' then 'Request Moderated'
                        when 'CONTENT_MODERATED' then 'Content Moderated'
                        when 'ERROR' then 'Error'
                        else 'Cancelled' end,
                    'result', case when new.status = 'READY' then new.result end,
                    'details', case when new.status <> 'READY' then new.details end,
                    'progress', new.progress,
                    'stepsRun', new.steps_run,
                    'createdAt', new.created_at,
                    'finishedAt', now())));
    end if;
    return null;
end
$$;

create trigger jobs_enqueue_webhook after insert or update of status on jobs.jobs
    for each row execute function jobs.enqueue_webhook();
