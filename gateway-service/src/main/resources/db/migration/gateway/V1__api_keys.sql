-- Keys are stored hashed: the prefix finds the row, the sha256 of the whole key proves possession.
create table gateway.api_keys (
    id         uuid primary key default gen_random_uuid(),
    tenant_id  text        not null,
    prefix     text        not null unique,
    key_hash   text        not null,
    name       text        not null,
    created_at timestamptz not null default now(),
    revoked_at timestamptz
);

create index api_keys_tenant_idx on gateway.api_keys (tenant_id);
