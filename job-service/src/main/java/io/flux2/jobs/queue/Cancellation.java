package io.flux2.jobs.queue;

import io.flux2.common.problem.ApiProblem;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobStatus;
import io.flux2.jobs.store.JobStore;
import io.flux2.jobs.store.Transitions;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Cancelling a job on the client's request. A job that has not started (awaiting its prompt check, or
 * queued) is CANCELLED at once; a running one is marked, its worker learns of it in the next heartbeat
 * and reports back ({@code cancelled}, or a failure), which ends it CANCELLED with the steps it ran. A job
 * already CANCELLED is answered as it is. A job whose image is made or being made (all steps run, being
 * checked, or another final status) can no longer be cancelled: 409.
 */
@Component
public class Cancellation {

    private static final int RACE_RETRIES = 3;

    private final Transitions transitions;
    private final JobStore store;

    public Cancellation(Transitions transitions, JobStore store) {
        this.transitions = transitions;
        this.store = store;
    }

    /** @return the job after the cancel (CANCELLED, or RUNNING with the cancel requested) */
    public Mono<Job> cancel(UUID jobId, String tenantId) {
        return attempt(jobId, tenantId, RACE_RETRIES);
    }

    private Mono<Job> attempt(UUID jobId, String tenantId, int retriesLeft) {
        return notStarted(jobId, tenantId)
                .switchIfEmpty(Mono.defer(() -> running(jobId, tenantId)))
                .switchIfEmpty(Mono.defer(() -> store.find(jobId)
                        .filter(job -> job.tenantId().equals(tenantId))
                        .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Job " + jobId)))
                        .flatMap(job -> {
                            // Asking again is answered like the first time: a cancel retried after its answer
                            // was lost must not read as a refusal.
                            if (job.status() == JobStatus.RUNNING && job.cancelRequested()
                                    || job.status() == JobStatus.CANCELLED) {
                                return Mono.just(job);
                            }
                            if (job.status() == JobStatus.RUNNING && onLastStep(job)) {
                                return Mono.error(new ApiProblem(HttpStatus.CONFLICT, "Image already made",
                                        "Job " + jobId + " is on the last of its " + job.totalSteps()
                                                + " steps; its image is being made and can no longer be cancelled")
                                        .with("jobStatus", job.status().name()));
                            }
                            if (job.status() == JobStatus.CHECKING_OUTPUT || job.status().isFinal()) {
                                return Mono.error(new ApiProblem(HttpStatus.CONFLICT, "Job already finished",
                                        "Job " + jobId + " is " + job.status() + " and can no longer be cancelled")
                                        .with("jobStatus", job.status().name()));
                            }
                            // It moved between our statements (e.g. a retry put it back in the queue): again.
                            return retriesLeft > 0 ? attempt(jobId, tenantId, retriesLeft - 1) : Mono.just(job);
                        })));
    }

    private Mono<Job> notStarted(UUID jobId, String tenantId) {
        return transitions.applyOne("""
                        update jobs.jobs j
                        set status = 'CANCELLED', steps_run = 0, next_check_at = null,
                            details = jsonb_build_object('message', 'cancelled on request'), updated_at = now()
                        where j.id = :id and j.tenant_id = :tenantId and j.status in ('AWAITING_SAFETY', 'QUEUED')
                        """,
                "'CANCELLED'",
                "jsonb_build_object('status', c.status, 'stepsRun', c.steps_run, 'totalSteps', c.total_steps)",
                spec -> spec.bind("id", jobId).bind("tenantId", tenantId));
    }

    /**
     * The worker reads a cancel in the heartbeat after each step and stops if a step is left. Once it is on its
     * last step nothing is left to save: it finishes the image (the GPU work is done), so a cancel is refused
     * rather than accepted and never acted on.
     */
    private static boolean onLastStep(Job job) {
        return job.totalSteps() != null && (job.stepsRun() == null ? 0 : job.stepsRun()) + 1 >= job.totalSteps();
    }

    /**
     * Marks a running job whose worker has a step left after the one it is on, to read the mark in and stop
     * before (the same row lock as heartbeats).
     */
    private Mono<Job> running(UUID jobId, String tenantId) {
        return transitions.applyOne("""
                        update jobs.jobs j set cancel_requested = true, updated_at = now()
                        where j.id = :id and j.tenant_id = :tenantId and j.status = 'RUNNING' and not j.cancel_requested
                          and (j.total_steps is null or coalesce(j.steps_run, 0) + 1 < j.total_steps)
                        """,
                "'CANCEL_REQUESTED'",
                "jsonb_build_object('status', c.status, 'leaseId', c.lease_id)",
                spec -> spec.bind("id", jobId).bind("tenantId", tenantId));
    }
}
