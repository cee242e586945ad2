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

    /** The job once terminal, or as it last read when {@code max} passed (also when reads failed meanwhile). */
    public Mono<Job> await(Job job, String tenantId, Duration max) {
        if (job.terminal() || max.isZero() || max.isNegative()) {
            return Mono.just(job);
        }
        return Flux.interval(pollInterval, pollInterval)
                .onBackpressureDrop()
                // A read that fails (job-service restarting, its breaker open) is skipped: the job exists, a later
                // read may reach it, and at worst the caller gets the job as it last read instead of an error
                // that would look like nothing was created.
                .concatMap(tick -> jobs.find(job.id(), tenantId).onErrorResume(error -> Mono.empty()), 1)
                .takeUntil(Job::terminal)
                .take(max)
                .last(job);
    }
}
