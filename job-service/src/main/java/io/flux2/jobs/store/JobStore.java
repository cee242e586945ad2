package io.flux2.jobs.store;

import io.flux2.jobs.Job;
import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
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
        boolean limited = activeJobLimit != null && job.apiKeyId() != null;
        String sql = """
                %s
                created as (
                    insert into jobs.jobs (id, tenant_id, tier, model, priority, status, request, max_attempts,
                                           next_check_at, api_key_id, cost, total_steps, webhook_url, webhook_secret)
                    select :id, :tenantId, :tier, :model, :priority, 'AWAITING_SAFETY', :request::jsonb,
                           :maxAttempts, now() + :checkDelayMs * interval '1 millisecond', :apiKeyId, :cost,
                           :totalSteps, :webhookUrl, :webhookSecret
                    %s
                    returning *
                ), logged as (
                    insert into jobs.job_events (job_id, type, data)
                    select id, 'CREATED', jsonb_build_object('status', status, 'tier', tier, 'model', model,
                                                             'priority', priority)
                    from created
                )
                select %s from created c
                """.formatted(limited ? SLOT : "with", limited ? UNDER_LIMIT : "", JobRows.columns("c"));
        var spec = db.sql(sql)
                .bind("id", UUID.randomUUID())
                .bind("tenantId", job.tenantId())
                .bind("tier", job.tier())
                .bind("model", job.model())
                .bind("priority", job.priority())
                .bind("request", rows.toJson(job.request()))
                .bind("maxAttempts", maxAttempts)
                .bind("checkDelayMs", firstCheckDelay.toMillis());
        spec = bindNullable(spec, "apiKeyId", job.apiKeyId(), String.class);
        spec = bindNullable(spec, "cost", job.cost(), BigDecimal.class);
        spec = bindNullable(spec, "totalSteps", job.request().steps(), Integer.class);
        spec = bindNullable(spec, "webhookUrl", job.webhookUrl(), String.class);
        spec = bindNullable(spec, "webhookSecret", job.webhookSecret(), String.class);
        if (limited) {
            spec = spec.bind("activeJobLimit", activeJobLimit);
        }
        return spec.map(rows::toJob).one();
    }

    /** Locks (or makes) the key's count row; no row comes back when the key is at its limit. */
    private static final String SLOT = """
            with slot as (
                insert into jobs.active_job_counts as a (api_key_id, active) values (:apiKeyId, 0)
                on conflict (api_key_id) do update set active = a.active where a.active < :activeJobLimit
                returning active
            ),""";

    private static final String UNDER_LIMIT = "where exists (select 1 from slot where active < :activeJobLimit)";

    static <T> GenericExecuteSpec bindNullable(GenericExecuteSpec spec, String name, T value, Class<T> type) {
        return value == null ? spec.bindNull(name, type) : spec.bind(name, value);
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
