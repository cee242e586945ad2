package io.flux2.jobs.queue;

import io.flux2.jobs.Job;
import io.flux2.jobs.JobsProperties;
import java.time.Duration;
import java.util.List;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A worker's wait for work: claim now, then again at every poll interval or local wake-up, until a job
 * is leased or the wait is over.
 */
@Component
public class LongPoll {

    private final LeaseQueue queue;
    private final QueueSignal signal;
    private final JobsProperties.Leases leases;

    public LongPoll(LeaseQueue queue, QueueSignal signal, JobsProperties properties) {
        this.queue = queue;
        this.signal = signal;
        this.leases = properties.leases();
    }

    /** @return the leased job, or empty when none came within {@code wait} (capped at the configured max) */
    public Mono<Job> await(String workerId, List<String> models, Duration wait) {
        Duration capped = wait.compareTo(leases.maxWait()) > 0 ? leases.maxWait() : wait;
        if (capped.isZero() || capped.isNegative()) {
            return queue.claim(workerId, models);
        }
        Flux<Object> wakeups = Flux.merge(
                Flux.interval(leases.pollInterval()),
                signal.queuedModels().filter(model -> model.equals(QueueSignal.ANY_MODEL) || models.contains(model)));
        // The deadline stops the ticks, never a claim in flight: cutting a claim short could lease a job
        // to nobody until its lease expires.
        return Flux.concat(Mono.just(0L), wakeups)
                .takeUntilOther(Mono.delay(capped))
                .onBackpressureLatest()
                .concatMap(tick -> queue.claim(workerId, models), 0)
                .next();
    }
}
