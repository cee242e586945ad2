-- V3 filled jobs.active_job_counts before it created the trigger that keeps it, so a job created or finished in
-- between by a replica still running the previous version (a rolling upgrade) was never counted, and that key's
-- limit would stay off by one for good. Recounted here while writes to jobs.jobs wait for this migration.
lock table jobs.jobs in share row exclusive mode;

delete from jobs.active_job_counts;

insert into jobs.active_job_counts (api_key_id, active)
select api_key_id, count(*) from jobs.jobs
where api_key_id is not null and status in ('AWAITING_SAFETY', 'QUEUED', 'RUNNING', 'CHECKING_OUTPUT')
group by api_key_id;
