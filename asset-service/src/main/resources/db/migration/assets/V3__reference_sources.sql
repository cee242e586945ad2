-- The sha256 of each file a reference was made from, as the client sent it. The stored reference is the
-- normalised PNG, whose hash no blocklist knows; safety-service's hash blocklist is checked against these too.
-- Several files can make one reference (it is deduplicated by its normalised bytes), so one row each.
create table assets.reference_sources (
    asset_id      uuid not null references assets.assets (id) on delete cascade,
    source_sha256 text not null,
    primary key (asset_id, source_sha256)
);
