-- Tenants: who pays, how much a month at most, and which tiers they may use. A key whose tenant has no row
-- (the bootstrap tenant before V2, keys inserted by hand) acts without cap and with every tier.
create table gateway.tenants (
    id                text primary key,
    name              text        not null,
    monthly_spend_cap numeric(14, 3),
    allowed_tiers     text[],
    created_at        timestamptz not null default now()
);

-- Per-key overrides of the tier's limits; null means "the tier's (or the default) limit".
alter table gateway.api_keys
    add column rate_limit_burst      integer,
    add column rate_limit_per_minute double precision,
    add column active_job_limit      integer;

-- One token bucket per key, shared by every gateway replica. A single UPDATE ... RETURNING refills it from
-- now() - last_refill and takes a token; granted records whether that statement's take succeeded.
create table gateway.rate_buckets (
    key_id      uuid primary key,
    tokens      double precision not null,
    granted     boolean          not null default true,
    last_refill timestamptz      not null default now()
);
