package io.flux2.gateway.v2;

import io.flux2.gateway.upstream.Job;
import io.flux2.gateway.upstream.JobServiceClient;
import java.time.Duration;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Holds a request until its job is terminal or the wait is over, by asking job-service every poll interval
 * (a read: cheap, retried, and it works with any number of job-service replicas). Used by
 * {@code Prefer: wait} and the OpenAI facade.
 */
@Component
public class JobWaiter {

    private final JobServiceClient jobs;
    private final Duration pollInterval;

    public JobWaiter(JobServiceClient jobs, V2Properties properties) {
        this.jobs = jobs;
        this.pollInterval = properties.pollInterval();
    }

    /**
     * The job once terminal, or as it last read when {@code max} passed. A read that fails (job-service
     * restarting, its breaker open) is skipped: the job exists, a later read may reach it, and at worst the
     * caller answers with the job as it last read (202) instead of an error that looks like nothing was created.
     */
    public Mono<Job> await(Job job, String tenantId, Duration max) {
        return await(job, tenantId, max, true);
    }

    /**
     * As {@link #await(Job, String, Duration)}, but a failed read ends the wait with its error: for callers that
     * have no "not finished yet" answer to give (the OpenAI facade answers images or an error).
     */
    public Mono<Job> awaitOrFail(Job job, String tenantId, Duration max) {
        return await(job, tenantId, max, false);
    }

    private Mono<Job> await(Job job, String tenantId, Duration max, boolean skipFailedReads) {
        if (job.terminal() || max.isZero() || max.isNegative()) {
            return Mono.just(job);
        }
        return Flux.interval(pollInterval, pollInterval)
                .onBackpressureDrop()
                .concatMap(tick -> skipFailedReads
                        ? jobs.find(job.id(), tenantId).onErrorResume(error -> Mono.empty())
                        : jobs.find(job.id(), tenantId), 1)
                .takeUntil(Job::terminal)
                .take(max)
                .last(job);
    }
}
