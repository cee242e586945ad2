-- A replica may take several tokens in one update and hand them out itself for a short while
-- (flux.gateway.limits.reservation), so a busy key costs one statement per handful of submissions.
-- "taken" is how many the last update took; "granted" stays for readers of the old column.
alter table gateway.rate_buckets add column taken integer not null default 0;
