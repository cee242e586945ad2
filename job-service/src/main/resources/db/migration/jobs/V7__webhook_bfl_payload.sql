-- A webhook message is what BFL's get_result answers for the job, so a receiver written for BFL reads it as is:
-- BFL's statuses (a cancelled job is an Error whose details say so, as /v1/get_result answers), moderation
-- reasons under "Moderation Reasons", and the result's prompt. The result's sample URL is signed when each
-- attempt is sent (WebhookDispatcher), as a URL stored here would expire before a late retry.
create or replace function jobs.enqueue_webhook() returns trigger language plpgsql as $$
declare
    final constant text[] := array['READY', 'REQUEST_MODERATED', 'CONTENT_MODERATED', 'ERROR', 'CANCELLED'];
begin
    if new.webhook_url is not null and new.status = any(final)
       and (tg_op = 'INSERT' or not (old.status = any(final))) then
        insert into jobs.webhook_deliveries (id, job_id, url, event_type, payload)
        values (gen_random_uuid(), new.id, new.webhook_url, 'job.' || lower(new.status),
                jsonb_strip_nulls(jsonb_build_object(
                    'id', new.id,
                    'type', 'job.' || lower(new.status),
                    'status', case new.status
                        when 'READY' then 'Ready'
                        when 'REQUEST_MODERATED' then 'Request Moderated'
                        when 'CONTENT_MODERATED' then 'Content Moderated'
                        else 'Error' end,
                    'result', case when new.status = 'READY'
                        then new.result || jsonb_build_object('prompt', new.request->'prompt') end,
                    'details', case
                        when new.status in ('REQUEST_MODERATED', 'CONTENT_MODERATED') then jsonb_build_object(
                            'Moderation Reasons', coalesce(new.details->'moderation_reasons', '[]'::jsonb))
                        when new.status = 'CANCELLED' then jsonb_build_object(
                            'message', 'The task was cancelled', 'cancelled', true, 'steps_run', new.steps_run)
                        when new.status = 'ERROR' then coalesce(new.details, '{"message": "The task failed"}'::jsonb)
                        end,
                    'progress', new.progress,
                    'stepsRun', new.steps_run,
                    'createdAt', new.created_at,
                    'finishedAt', now())));
    end if;
    return null;
end
$$;
