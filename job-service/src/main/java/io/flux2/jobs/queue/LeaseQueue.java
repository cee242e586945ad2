package io.flux2.jobs.queue;

import io.flux2.jobs.Job;
import io.flux2.jobs.JobResult;
import io.flux2.jobs.JobStatus;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.store.JobRows;
import io.flux2.jobs.store.JobStore;
import io.flux2.jobs.store.Transitions;
import java.time.Instant;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The queue as inference pods see it: claim a job, heartbeat it, complete or fail it. Each operation is
 * one statement guarded by the lease id and the RUNNING status, so a worker whose lease was taken back
 * can no longer touch the job.
 */
@Component
public class LeaseQueue {

    private static final Set<JobStatus> COMPLETED = EnumSet.of(
            JobStatus.CHECKING_OUTPUT, JobStatus.READY, JobStatus.CONTENT_MODERATED);

    private final Transitions transitions;
    private final JobStore store;
    private final DatabaseClient db;
    private final JobRows rows;
    private final JobsProperties properties;

    public LeaseQueue(Transitions transitions, JobStore store, DatabaseClient db, JobRows rows,
            JobsProperties properties) {
        this.transitions = transitions;
        this.store = store;
        this.db = db;
        this.rows = rows;
        this.properties = properties;
    }

    /**
     * Leases the oldest job of the highest priority among the given models, if any may run now. SKIP
     * LOCKED lets concurrent claims pass over each other's candidate instead of queueing behind it.
     */
    public Mono<Job> claim(String workerId, List<String> models) {
        return transitions.applyOne("""
                        update jobs.jobs j
                        set status = 'RUNNING', lease_id = gen_random_uuid(), lease_owner = :workerId,
                            lease_expires_at = now() + :leaseMs * interval '1 millisecond',
                            attempts = j.attempts + 1, progress = 0, steps_run = 0, updated_at = now()
                        where j.id = (select q.id from jobs.jobs q
                                      where q.status = 'QUEUED' and q.model = any(:models) and q.available_at <= now()
                                      order by q.priority desc, q.created_at
                                      limit 1
                                      for update skip locked)
                          and j.status = 'QUEUED'
                        """,
                "'LEASED'",
                "jsonb_build_object('status', c.status, 'leaseId', c.lease_id, 'workerId', c.lease_owner, "
                        + "'attempt', c.attempts)",
                spec -> spec.bind("workerId", workerId)
                        .bind("models", models.toArray(String[]::new))
                        .bind("leaseMs", properties.leases().duration().toMillis()));
    }

    /**
     * Records progress and extends the lease; a step the job had not reported before appends a PROGRESS
     * event (what SSE streams show). A lease past its expiry that the sweeper has not taken back yet is
     * still extended: nobody else holds the job, and the work done so far is worth keeping.
     */
    public Mono<Heartbeat> heartbeat(UUID leaseId, int step, int totalSteps) {
        return db.sql("""
                        with changed as (
                            update jobs.jobs j
                            set progress = :progress, steps_run = :step, total_steps = :totalSteps,
                                lease_expires_at = now() + :leaseMs * interval '1 millisecond', updated_at = now()
                            from jobs.jobs before
                            where before.id = j.id and j.lease_id = :leaseId and j.status = 'RUNNING'
                            returning j.id, j.cancel_requested, j.lease_expires_at, before.steps_run as previous_step
                        ), logged as (
                            insert into jobs.job_events (job_id, type, data)
                            select c.id, 'PROGRESS', jsonb_build_object('status', 'RUNNING', 'step', :step,
                                                                         'totalSteps', :totalSteps)
                            from changed c where c.previous_step is distinct from :step
                        )
                        select cancel_requested, lease_expires_at from changed
                        """)
                .bind("progress", (float) step / totalSteps)
                .bind("step", step)
                .bind("totalSteps", totalSteps)
                .bind("leaseMs", properties.leases().duration().toMillis())
                .bind("leaseId", leaseId)
                .map(row -> new Heartbeat(Boolean.TRUE.equals(row.get("cancel_requested", Boolean.class)),
                        row.get("lease_expires_at", Instant.class)))
                .one()
                .switchIfEmpty(Mono.error(() -> new LeaseLostException(leaseId)));
    }

    /**
     * Stores the result and moves the job to CHECKING_OUTPUT; the output check owes its first attempt to
     * the caller, and the sweeper takes over after the retry delay. Completing the same lease again
     * (a worker retrying after a lost answer) is accepted and changes nothing.
     */
    public Mono<Completion> complete(UUID leaseId, JobResult result) {
        return transitions.applyOne("""
                        update jobs.jobs j
                        set status = 'CHECKING_OUTPUT', result = :result::jsonb, progress = 1,
                            lease_expires_at = null, updated_at = now(),
                            next_check_at = now() + :checkDelayMs * interval '1 millisecond'
                        where j.lease_id = :leaseId and j.status = 'RUNNING'
                        """,
                "'COMPLETED'",
                "jsonb_build_object('status', c.status, 'leaseId', c.lease_id, 'assetId', c.result->>'assetId')",
                spec -> spec.bind("result", rows.toJson(result))
                        .bind("checkDelayMs", properties.safety().retryDelay().toMillis())
                        .bind("leaseId", leaseId))
                .map(job -> new Completion(job, true))
                .switchIfEmpty(Mono.defer(() -> store.findByLease(leaseId)
                        .filter(job -> COMPLETED.contains(job.status()))
                        .map(job -> new Completion(job, false))
                        .switchIfEmpty(Mono.error(() -> new LeaseLostException(leaseId)))));
    }

    /**
     * Ends a lease that failed: back to the queue after a backoff when the failure may pass and attempts
     * are left, else ERROR with the worker's message. A job whose cancel was requested ends CANCELLED
     * instead, whatever the failure (a worker that stops on a cancel may report it as a failure). A repeat
     * of a final failure is accepted.
     */
    public Mono<Job> fail(UUID leaseId, String message, boolean retryable) {
        String retry = "not j.cancel_requested and :retryable and j.attempts < j.max_attempts";
        return transitions.applyOne("""
                        update jobs.jobs j
                        set status = case when j.cancel_requested then 'CANCELLED'
                                          when %1$s then 'QUEUED' else 'ERROR' end,
                            available_at = case when %1$s
                                then now() + least(:backoffMs * power(2, j.attempts - 1), :maxBackoffMs)
                                             * interval '1 millisecond'
                                else j.available_at end,
                            details = case when j.cancel_requested
                                               then jsonb_build_object('message', 'cancelled on request')
                                           when %1$s then j.details
                                           else jsonb_build_object('message', :message::text) end,
                            lease_id = case when %1$s then null else j.lease_id end,
                            progress = case when %1$s then 0 else j.progress end,
                            lease_expires_at = null, updated_at = now()
                        where j.lease_id = :leaseId and j.status = 'RUNNING'
                        """.formatted(retry),
                "case c.status when 'QUEUED' then 'RETRY_SCHEDULED' when 'CANCELLED' then 'CANCELLED' else 'FAILED' end",
                "jsonb_build_object('status', c.status, 'message', :message::text, 'retryable', :retryable, "
                        + "'attempt', c.attempts, 'availableAt', c.available_at, 'stepsRun', c.steps_run)",
                spec -> spec.bind("retryable", retryable)
                        .bind("backoffMs", properties.retry().initialBackoff().toMillis())
                        .bind("maxBackoffMs", properties.retry().maxBackoff().toMillis())
                        .bind("message", message)
                        .bind("leaseId", leaseId))
                .switchIfEmpty(Mono.defer(() -> store.findByLease(leaseId)
                        .filter(job -> job.status() == JobStatus.ERROR || job.status() == JobStatus.CANCELLED)
                        .switchIfEmpty(Mono.error(() -> new LeaseLostException(leaseId)))));
    }

    /**
     * The worker stopped on a cancel (or on its own) after {@code stepsRun} steps: the job ends CANCELLED
     * and bills those steps. A repeat is accepted.
     */
    public Mono<Job> cancelled(UUID leaseId, Integer stepsRun) {
        return transitions.applyOne("""
                        update jobs.jobs j
                        set status = 'CANCELLED', steps_run = coalesce(:stepsRun, j.steps_run),
                            details = jsonb_build_object('message', 'cancelled on request'),
                            lease_expires_at = null, updated_at = now()
                        where j.lease_id = :leaseId and j.status = 'RUNNING'
                        """,
                "'CANCELLED'",
                "jsonb_build_object('status', c.status, 'stepsRun', c.steps_run, 'totalSteps', c.total_steps)",
                spec -> (stepsRun == null ? spec.bindNull("stepsRun", Integer.class) : spec.bind("stepsRun", stepsRun))
                        .bind("leaseId", leaseId))
                .switchIfEmpty(Mono.defer(() -> store.findByLease(leaseId)
                        .filter(job -> job.status() == JobStatus.CANCELLED)
                        .switchIfEmpty(Mono.error(() -> new LeaseLostException(leaseId)))));
    }

    /**
     * The outcome of {@link #complete}.
     *
     * @param firstTime false when the lease had been completed before, so no output check needs starting
     */
    public record Completion(Job job, boolean firstTime) {
    }
}
