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

    /** The job once terminal, or as it last read when {@code max} passed. */
    public Mono<Job> await(Job job, String tenantId, Duration max) {
        if (job.terminal() || max.isZero() || max.isNegative()) {
            return Mono.just(job);
        }
        return Flux.interval(pollInterval, pollInterval)
                .onBackpressureDrop()
                .concatMap(tick -> jobs.find(job.id(), tenantId), 1)
                .takeUntil(Job::terminal)
                .take(max)
                .last(job);
    }
}
