package io.flux2.inference.worker;

import java.time.Duration;

/** Doubling waits between failed calls, capped; reset after a success. Not thread-safe: one per worker. */
final class Backoff {

    private final Duration min;
    private final Duration max;
    private Duration next;

    Backoff(Duration min, Duration max) {
        this.min = min;
        this.max = max;
        this.next = min;
    }

    /** The wait to use now; the following one is twice as long, up to the cap. */
    Duration nextDelay() {
        Duration current = next;
        Duration doubled = next.multipliedBy(2);
        next = doubled.compareTo(max) > 0 ? max : doubled;
        return current;
    }

    /** A separate backoff with the same bounds, starting afresh. */
    Backoff copy() {
        return new Backoff(min, max);
    }

    void reset() {
        next = min;
    }
}
