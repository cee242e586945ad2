package io.flux2.jobs.store;

import io.flux2.jobs.GenerationRequest;
import io.flux2.jobs.Job;
import java.time.Duration;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
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
    public Mono<Job> create(String tenantId, String tier, String model, int priority, GenerationRequest request,
            int maxAttempts, Duration firstCheckDelay) {
        String sql = """
                with created as (
                    insert into jobs.jobs (id, tenant_id, tier, model, priority, status, request, max_attempts,
                                           next_check_at)
                    values (:id, :tenantId, :tier, :model, :priority, 'AWAITING_SAFETY', :request::jsonb,
                            :maxAttempts, now() + :checkDelayMs * interval '1 millisecond')
                    returning *
                ), logged as (
                    insert into jobs.job_events (job_id, type, data)
                    select id, 'CREATED', jsonb_build_object('status', status, 'tier', tier, 'model', model,
                                                             'priority', priority)
                    from created
                )
                select %s from created c
                """.formatted(JobRows.columns("c"));
        return db.sql(sql)
                .bind("id", UUID.randomUUID())
                .bind("tenantId", tenantId)
                .bind("tier", tier)
                .bind("model", model)
                .bind("priority", priority)
                .bind("request", rows.toJson(request))
                .bind("maxAttempts", maxAttempts)
                .bind("checkDelayMs", firstCheckDelay.toMillis())
                .map(rows::toJob)
                .one();
    }

    public Mono<Job> find(UUID id) {
        return db.sql("select " + JobRows.columns("j") + " from jobs.jobs j where j.id = :id")
                .bind("id", id)
                .map(rows::toJob)
                .one();
    }

    public Mono<Job> findByLease(UUID leaseId) {
        return db.sql("select " + JobRows.columns("j") + " from jobs.jobs j where j.lease_id = :leaseId")
                .bind("leaseId", leaseId)
                .map(rows::toJob)
                .one();
    }
}
