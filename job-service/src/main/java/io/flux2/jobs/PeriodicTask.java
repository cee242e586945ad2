package io.flux2.jobs;

import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import io.flux2.common.lifecycle.SubscriptionLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Runs a reactive sweep every interval for as long as the application runs. A sweep that outlasts the
 * interval is not overlapped by the next one (ticks that arrive meanwhile are dropped), and a failed sweep
 * is logged and tried again at the next tick rather than ending the schedule.
 */
public abstract class PeriodicTask extends SubscriptionLifecycle {

    private static final Logger log = LoggerFactory.getLogger(PeriodicTask.class);

    private final String name;
    private final Duration interval;

    protected PeriodicTask(String name, Duration interval) {
        this.name = name;
        this.interval = interval;
    }

    /** One sweep; the next starts no earlier than the first tick after this one finished. */
    protected abstract Flux<?> sweep();

    @Override
    protected Disposable subscribe() {
        return Flux.interval(interval, Schedulers.parallel())
                .onBackpressureDrop()
                .concatMap(tick -> Flux.defer(this::sweep)
                        .onErrorResume(e -> {
                            log.warn("{} failed; trying again in {}", name, interval, e);
                            return Mono.empty();
                        })
                        .then(), 0)
                .subscribe();
    }
}
