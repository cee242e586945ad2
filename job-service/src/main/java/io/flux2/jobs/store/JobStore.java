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
     * {@code firstCheckDelay} later, which leaves the inline attempt alone unless it fails.
     */
    public Mono<Job> create(NewJob job, int maxAttempts, Duration firstCheckDelay) {
        String sql = """
                with created as (
                    insert into jobs.jobs (id, tenant_id, tier, model, priority, status, request, max_attempts,
                                           next_check_at, api_key_id, cost, total_steps, webhook_url, webhook_secret)
                    values (:id, :tenantId, :tier, :model, :priority, 'AWAITING_SAFETY', :request::jsonb,
                            :maxAttempts, now() + :checkDelayMs * interval '1 millisecond', :apiKeyId, :cost,
                            :totalSteps, :webhookUrl, :webhookSecret)
                    returning *
                ), logged as (
                    insert into jobs.job_events (job_id, type, data)
                    select id, 'CREATED', jsonb_build_object('status', status, 'tier', tier, 'model', model,
                                                             'priority', priority)
                    from created
                )
                select %s from created c
                """.formatted(JobRows.columns("c"));
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
        return spec.map(rows::toJob).one();
    }

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
