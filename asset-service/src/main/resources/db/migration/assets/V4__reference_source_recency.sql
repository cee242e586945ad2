-- Only the most recent few source hashes of a reference are kept (flux.assets.images.max-reference-sources):
-- they travel in a header and a query string, and a client that writes a fresh timestamp into every upload of
-- one picture would otherwise grow the list without end.
alter table assets.reference_sources add column added_at timestamptz not null default now();
