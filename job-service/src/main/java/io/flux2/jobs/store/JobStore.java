package io.flux2.jobs.store;

import io.flux2.jobs.Job;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Creating and reading jobs. Changes of state go through {@link Transitions}. */
@Component
public class JobStore {

    private final DatabaseClient db;
    private final JobRows rows;

    public JobStore(DatabaseClient db, JobRows rows) {
        this.db = db;
        this.rows = rows;
    }

    /**
     * Inserts a job in {@code AWAITING_SAFETY} with its CREATED event. The first prompt check is due
     * {@code firstCheckDelay} later, which leaves the check started right after the create alone unless it fails.
     */
    public Mono<Job> create(NewJob job, int maxAttempts, Duration firstCheckDelay) {
        return create(job, maxAttempts, firstCheckDelay, null);
    }

    /**
     * As {@link #create(NewJob, int, Duration)}, but only while the job's API key has fewer than
     * {@code activeJobLimit} unfinished jobs (null: no limit); empty when the limit is reached. The statement
     * first locks the key's row of {@code jobs.active_job_counts} (kept by a trigger, V3__active_job_counts.sql):
     * a concurrent create of the same key waits for it and, under READ COMMITTED, checks the limit against the
     * count this one's insert left, so two creates never both take the last place.
     */
    public Mono<Job> create(NewJob job, int maxAttempts, Duration firstCheckDelay, Integer activeJobLimit) {
        return createAll(List.of(new Pending(UUID.randomUUID(), job, activeJobLimit, null)), maxAttempts,
                firstCheckDelay).next();
    }

    /**
     * A job to create in a batch, with the id it will have, its key's active-job limit (null: none) and the
     * verdict on its prompt when one was had before (null: it is created AWAITING_SAFETY, its check due).
     */
    public record Pending(UUID id, NewJob job, Integer activeJobLimit, PromptVerdict verdict) {

        public Pending withVerdict(PromptVerdict verdict) {
            return new Pending(id, job, activeJobLimit, verdict);
        }
    }

    /**
     * {@link #create(NewJob, int, Duration, Integer)} for many jobs in one statement and one commit. The count
     * rows of the limited keys are locked in key order, and the rows are inserted in tenant and key order (their
     * triggers lock the key's count and the tenant's monthly spend), so concurrent batches rarely deadlock; one
     * that does is retried job by job (CreateBatches). The n-th job of a key in the batch is created only while
     * the key's count plus n stays within its limit.
     * A job whose prompt was flagged ends at once (REQUEST_MODERATED, never unfinished), so it takes no place:
     * it is stored whatever the count, and the key's other jobs in the batch are numbered without it.
     * A job with a verdict is created past its prompt check: its CREATED event is followed by PROMPT_PASSED
     * (QUEUED) or REQUEST_MODERATED, as if the check had run after the insert. Emits the created jobs; a job
     * left out reached its key's limit.
     */
    public Flux<Job> createAll(List<Pending> jobs, int maxAttempts, Duration firstCheckDelay) {
        int n = jobs.size();
        String[] ids = new String[n], tenants = new String[n], tiers = new String[n], models = new String[n],
                priorities = new String[n], requests = new String[n], keys = new String[n], costs = new String[n],
                steps = new String[n], webhookUrls = new String[n], webhookSecrets = new String[n],
                limits = new String[n], flagged = new String[n], decisionIds = new String[n],
                policyVersions = new String[n], reasons = new String[n];
        for (int i = 0; i < n; i++) {
            Pending p = jobs.get(i);
            NewJob job = p.job();
            ids[i] = p.id().toString();
            tenants[i] = job.tenantId();
            tiers[i] = job.tier();
            models[i] = job.model();
            priorities[i] = Integer.toString(job.priority());
            requests[i] = rows.toJson(job.request());
            keys[i] = job.apiKeyId();
            costs[i] = job.cost() == null ? null : job.cost().toPlainString();
            steps[i] = job.request().steps() == null ? null : job.request().steps().toString();
            webhookUrls[i] = job.webhookUrl();
            webhookSecrets[i] = job.webhookSecret();
            limits[i] = p.activeJobLimit() == null || job.apiKeyId() == null ? null : p.activeJobLimit().toString();
            if (p.verdict() != null) {
                flagged[i] = Boolean.toString(p.verdict().flagged());
                decisionIds[i] = p.verdict().decisionId();
                policyVersions[i] = p.verdict().policyVersion();
                reasons[i] = rows.toJson(p.verdict().reasons() == null ? List.of() : p.verdict().reasons());
            }
        }
        // Every column goes as text[] and is cast here: one array codec, nulls included.
        return db.sql("""
                        with input as (
                            select * from unnest(:ids::text[], :tenants::text[], :tiers::text[], :models::text[],
                                                 :priorities::text[], :requests::text[], :keys::text[], :costs::text[],
                                                 :steps::text[], :webhookUrls::text[], :webhookSecrets::text[],
                                                 :limits::text[], :flagged::text[], :decisionIds::text[],
                                                 :policyVersions::text[], :reasons::text[])
                                with ordinality as i(id, tenant_id, tier, model, priority, request, api_key_id, cost,
                                                     total_steps, webhook_url, webhook_secret, active_limit, flagged,
                                                     decision_id, policy_version, reasons, ord)
                        ), slot as (
                            insert into jobs.active_job_counts as a (api_key_id, active)
                            select distinct api_key_id, 0 from input where active_limit is not null order by api_key_id
                            on conflict (api_key_id) do update set active = a.active
                            returning api_key_id, active
                        ), placed as (
                            select i.*, row_number() over (partition by i.api_key_id order by i.ord) as place
                            from input i where i.active_limit is not null and i.flagged is distinct from 'true'
                        ), admitted as (
                            select i.*, case i.flagged when 'true' then 'REQUEST_MODERATED' when 'false' then 'QUEUED'
                                        else 'AWAITING_SAFETY' end as status
                            from input i
                            where i.active_limit is null
                               or i.flagged = 'true'
                               or exists (select 1 from placed p join slot s on s.api_key_id = p.api_key_id
                                          where p.ord = i.ord and s.active + p.place <= p.active_limit::int)
                        ), created as (
                            insert into jobs.jobs (id, tenant_id, tier, model, priority, status, request, max_attempts,
                                                   next_check_at, api_key_id, cost, total_steps, webhook_url,
                                                   webhook_secret, details)
                            select id::uuid, tenant_id, tier, model, priority::int, status, request::jsonb,
                                   :maxAttempts,
                                   case when flagged is null then now() + :checkDelayMs * interval '1 millisecond' end,
                                   api_key_id, cost::numeric, total_steps::int, webhook_url, webhook_secret,
                                   case when flagged = 'true'
                                        then jsonb_build_object('moderation_reasons', reasons::jsonb) end
                            -- in tenant and key order: each row's triggers lock its key's count and its tenant's
                            -- monthly spend, and batches that lock in one order do not deadlock each other
                            from admitted order by tenant_id, api_key_id, ord
                            returning *
                        ), logged as (
                            insert into jobs.job_events (job_id, type, data)
                            select e.job_id, e.type, e.data from (
                                select c.id as job_id, a.ord, 0 as seq, 'CREATED' as type,
                                       jsonb_build_object('status', 'AWAITING_SAFETY', 'tier', c.tier, 'model', c.model,
                                                          'priority', c.priority) as data
                                from created c join admitted a on a.id::uuid = c.id
                                union all
                                select c.id, a.ord, 1,
                                       case c.status when 'QUEUED' then 'PROMPT_PASSED' else 'REQUEST_MODERATED' end,
                                       jsonb_build_object('status', c.status, 'decisionId', a.decision_id,
                                                          'policyVersion', a.policy_version,
                                                          'reasons', a.reasons::jsonb)
                                from created c join admitted a on a.id::uuid = c.id
                                where a.flagged is not null
                            ) e order by e.ord, e.seq
                        )
                        select %s from created c
                        """.formatted(JobRows.columns("c")))
                .bind("ids", ids)
                .bind("tenants", tenants)
                .bind("tiers", tiers)
                .bind("models", models)
                .bind("priorities", priorities)
                .bind("requests", requests)
                .bind("keys", keys)
                .bind("costs", costs)
                .bind("steps", steps)
                .bind("webhookUrls", webhookUrls)
                .bind("webhookSecrets", webhookSecrets)
                .bind("limits", limits)
                .bind("flagged", flagged)
                .bind("decisionIds", decisionIds)
                .bind("policyVersions", policyVersions)
                .bind("reasons", reasons)
                .bind("maxAttempts", maxAttempts)
                .bind("checkDelayMs", firstCheckDelay.toMillis())
                .map(rows::toJob)
                .all();
    }

    public Mono<Job> find(UUID id) {
        return db.sql("select " + JobRows.columns("j") + " from jobs.jobs j where j.id = :id")
                .bind("id", id)
                .map(rows::toJob)
                .one();
    }

    /**
     * A tenant's jobs, newest first, starting after the job at ({@code beforeCreatedAt}, {@code beforeId})
     * (both null for the first page).
     */
    public Flux<Job> list(String tenantId, Instant beforeCreatedAt, UUID beforeId, int limit) {
        String after = beforeCreatedAt == null ? "" : " and (j.created_at, j.id) < (:createdAt, :id)";
        var spec = db.sql("select " + JobRows.columns("j") + " from jobs.jobs j where j.tenant_id = :tenantId"
                        + after + " order by j.created_at desc, j.id desc limit :limit")
                .bind("tenantId", tenantId)
                .bind("limit", limit);
        if (beforeCreatedAt != null) {
            spec = spec.bind("createdAt", beforeCreatedAt).bind("id", beforeId);
        }
        return spec.map(rows::toJob).all();
    }

    public Mono<Job> findByLease(UUID leaseId) {
        return db.sql("select " + JobRows.columns("j") + " from jobs.jobs j where j.lease_id = :leaseId")
                .bind("leaseId", leaseId)
                .map(rows::toJob)
                .one();
    }
}
