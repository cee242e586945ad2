-- Sizes of the stored image (null for rows from before), and when a reference was last reused, so the
-- retention sweep counts from the last use rather than the first upload.
alter table assets.assets add column width integer;
alter table assets.assets add column height integer;
alter table assets.assets add column last_used_at timestamptz;

-- Per-tenant deduplication of references by the sha256 of the normalised image.
create index assets_tenant_sha_idx on assets.assets (tenant_id, kind, sha256);
-- Retention sweeps go by kind and the later of creation and last use.
create index assets_kind_used_idx on assets.assets (kind, (coalesce(last_used_at, created_at)));
