package io.flux2.jobs.events;

import java.time.Instant;
import java.util.Map;

/**
 * One entry of a job's history as clients see it (the SSE stream and {@code GET .../events}): {@code id}
 * is the event's sequence number (what {@code after=} and {@code Last-Event-ID} resume from), {@code event}
 * one of {@code queued, started, progress, moderated, succeeded, failed, cancelled}.
 */
public record PublicEvent(long id, String event, Map<String, Object> data, Instant createdAt) {

    public boolean terminal() {
        return switch (event) {
            case "moderated", "succeeded", "failed", "cancelled" -> true;
            default -> false;
        };
    }
}
