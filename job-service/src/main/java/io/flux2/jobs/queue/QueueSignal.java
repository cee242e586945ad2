package io.flux2.jobs.queue;

import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Wakes the long-polls waiting in this replica as soon as a job of their model is queued, here or in any
 * replica (the {@code jobs_queued} NOTIFY reaches every replica through {@code notify.PgListener}), so a
 * worker does not sit out a poll interval. Best effort: a wake-up that is lost is found by the next poll.
 */
@Component
public class QueueSignal {

    /** Wakes every waiting long-poll whatever its models (e.g. after the LISTEN connection was re-opened). */
    public static final String ANY_MODEL = "";

    private final Sinks.Many<String> queued = Sinks.many().multicast().directBestEffort();

    /** Tells waiting long-polls that a job of this model may be leased now. */
    public synchronized void queued(String model) {
        queued.tryEmitNext(model);
    }

    /** Models of jobs queued from now on ({@link #ANY_MODEL} for "look anyway"). */
    public Flux<String> queuedModels() {
        return queued.asFlux();
    }
}
