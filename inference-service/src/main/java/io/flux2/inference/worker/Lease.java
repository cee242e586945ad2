package io.flux2.inference.worker;

import java.time.Instant;

/** A job handed to this worker by job-service (docs/internal-api.md); only the fields this side uses. */
public record Lease(String leaseId, String jobId, String tenantId, String model, Integer attempt,
        JobRequest request, Instant expiresAt) {
}
