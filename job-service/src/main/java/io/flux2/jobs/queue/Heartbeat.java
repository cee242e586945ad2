package io.flux2.jobs.queue;

import java.time.Instant;

/** What a worker learns from a heartbeat: whether to stop, and until when its lease now runs. */
public record Heartbeat(boolean cancelRequested, Instant expiresAt) {
}
