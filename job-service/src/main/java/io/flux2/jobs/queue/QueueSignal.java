package io.flux2.jobs.queue;

import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Sinks;

/**
 * Wakes the long-polls waiting in this replica as soon as a job of their model is queued here, so a worker
 * does not sit out a poll interval. Best effort: a wake-up that is lost, or a job queued by another
 * replica, is found by the next poll.
 */
@Component
public class QueueSignal {

    private final Sinks.Many<String> queued = Sinks.many().multicast().directBestEffort();

    /** Tells waiting long-polls that a job of this model may be leased now. */
    public synchronized void queued(String model) {
        queued.tryEmitNext(model);
    }

    /** Models of jobs queued from now on. */
    public Flux<String> queuedModels() {
        return queued.asFlux();
    }
}
