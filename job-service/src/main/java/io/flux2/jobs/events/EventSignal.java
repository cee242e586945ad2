package io.flux2.jobs.events;

import java.util.UUID;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Wakes the SSE streams of a job in this replica when its history grew (the {@code job_events} NOTIFY of
 * any replica). Best effort; streams poll as well.
 */
@Component
public class EventSignal {

    /** Wakes every stream (e.g. after the LISTEN connection was re-opened and notifications may be lost). */
    public static final UUID ANY_JOB = new UUID(0, 0);

    private final Sinks.Many<UUID> appended = Sinks.many().multicast().directBestEffort();

    public synchronized void appended(UUID jobId) {
        appended.tryEmitNext(jobId);
    }

    /** Jobs whose history grew from now on. */
    public Flux<UUID> appendedJobs() {
        return appended.asFlux();
    }
}
