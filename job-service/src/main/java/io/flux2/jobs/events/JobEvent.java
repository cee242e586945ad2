package io.flux2.jobs.events;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** One entry of a job's history, e.g. {@code LEASED} with {@code {status, leaseId, workerId, attempt}}. */
public record JobEvent(long id, UUID jobId, String type, Map<String, Object> data, Instant createdAt) {
}
