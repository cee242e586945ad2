package io.flux2.jobs.webhooks;

/**
 * The SSRF guard refused a webhook target.
 *
 * @see SsrfGuard
 */
public class WebhookTargetRefused extends RuntimeException {

    private final boolean transientFailure;

    public WebhookTargetRefused(String message, boolean transientFailure) {
        super(message);
        this.transientFailure = transientFailure;
    }

    /** Whether asking again later may succeed (the name did not resolve), as opposed to a refused address. */
    public boolean isTransient() {
        return transientFailure;
    }
}
