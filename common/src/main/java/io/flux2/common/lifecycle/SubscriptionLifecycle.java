package io.flux2.common.lifecycle;

import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;

/**
 * A bean that keeps one subscription running from the context's start to its stop: a LISTEN loop, a
 * schedule. {@link #subscribe()} starts it (or returns null when configuration turns it off); stop disposes it.
 */
public abstract class SubscriptionLifecycle implements SmartLifecycle {

    private volatile Disposable running;

    /** Starts the work; null when there is nothing to run. */
    protected abstract Disposable subscribe();

    /** Runs after the subscription is disposed. */
    protected void stopped() {
    }

    @Override
    public final void start() {
        running = subscribe();
    }

    @Override
    public final void stop() {
        Disposable current = running;
        running = null;
        if (current != null) {
            current.dispose();
        }
        stopped();
    }

    @Override
    public final boolean isRunning() {
        return running != null;
    }
}
