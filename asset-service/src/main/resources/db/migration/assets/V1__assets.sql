-- Metadata of every stored image; the bytes live in the bucket under object_key.
create table assets.assets (
    id           uuid primary key,
    tenant_id    text        not null,
    kind         text        not null check (kind in ('output', 'reference')),
    object_key   text        not null unique,
    content_type text        not null,
    size_bytes   bigint      not null check (size_bytes >= 0),
    sha256       char(64)    not null,
    job_id       text,
    created_at   timestamptz not null default now()
);

create index assets_tenant_idx on assets.assets (tenant_id, created_at);
create index assets_job_idx on assets.assets (job_id) where job_id is not null;
-- Retention sweeps go by kind and age.
create index assets_kind_age_idx on assets.assets (kind, created_at);
