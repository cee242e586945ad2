-- What a job was billed, kept when the retention sweep deletes the job: usage and the monthly spend cap are
-- summed from live jobs and these rows together, so deleting history never lowers what a tenant has spent.
-- One row per deleted job that counts (every final status but REQUEST_MODERATED, which is never billed).
create table jobs.usage_archive (
    job_id     uuid        primary key,
    tenant_id  text        not null,
    tier       text        not null,
    created_at timestamptz not null,
    megapixels numeric     not null,
    credits    numeric     not null
);

create index usage_archive_tenant_created on jobs.usage_archive (tenant_id, created_at);
