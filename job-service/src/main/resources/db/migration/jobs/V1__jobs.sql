-- The durable state of every job. Status moves forward only through guarded single-statement UPDATEs,
-- so any number of job-service replicas can share this table without coordination.
create table jobs.jobs (
    id               uuid        primary key,
    tenant_id        text        not null,
    tier             text        not null,
    model            text        not null,
    priority         int         not null default 0,
    status           text        not null,
    request          jsonb       not null,
    result           jsonb,
    details          jsonb,
    progress         real        not null default 0,
    attempts         int         not null default 0,
    max_attempts     int         not null,
    lease_id         uuid,
    lease_owner      text,
    lease_expires_at timestamptz,
    cancel_requested boolean     not null default false,
    -- A QUEUED job may not be leased before this (backoff after a retryable failure).
    available_at     timestamptz not null default now(),
    -- Set while a safety step (prompt check, output check, deleting a moderated output) is still owed;
    -- the sweeper retries it from this time on. Null once nothing is owed.
    next_check_at    timestamptz,
    created_at       timestamptz not null default now(),
    updated_at       timestamptz not null default now(),
    constraint jobs_status_known check (status in ('AWAITING_SAFETY', 'QUEUED', 'RUNNING', 'CHECKING_OUTPUT',
        'READY', 'REQUEST_MODERATED', 'CONTENT_MODERATED', 'ERROR'))
);

-- The lease query walks this index in order and stops at the first row it can lock; only queued rows
-- are in it, so it stays small however many finished jobs pile up.
create index jobs_queue on jobs.jobs (priority desc, created_at) where status = 'QUEUED';

-- The expiry sweeper looks only at running jobs.
create index jobs_running_leases on jobs.jobs (lease_expires_at) where status = 'RUNNING';

-- The safety sweeper looks only at jobs that still owe a safety step.
create index jobs_safety_due on jobs.jobs (next_check_at) where next_check_at is not null;

-- Heartbeat, complete and fail find their job by lease.
create unique index jobs_lease on jobs.jobs (lease_id) where lease_id is not null;

create index jobs_tenant on jobs.jobs (tenant_id, created_at desc);

-- Append-only history: one row per transition, written by the same statement as the transition.
create table jobs.job_events (
    id         bigserial   primary key,
    job_id     uuid        not null references jobs.jobs (id),
    type       text        not null,
    data       jsonb       not null default '{}'::jsonb,
    created_at timestamptz not null default now()
);

create index job_events_job on jobs.job_events (job_id, id);
