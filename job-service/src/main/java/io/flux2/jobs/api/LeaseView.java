package io.flux2.jobs.api;

import io.flux2.jobs.GenerationRequest;
import io.flux2.jobs.Job;
import java.time.Instant;
import java.util.UUID;

/** What a worker gets with a lease: the job to run, and until when it must heartbeat. */
public record LeaseView(
        UUID leaseId,
        UUID jobId,
        String tenantId,
        String model,
        int attempt,
        GenerationRequest request,
        Instant expiresAt) {

    static LeaseView of(Job job) {
        return new LeaseView(job.leaseId(), job.id(), job.tenantId(), job.model(), job.attempts(), job.request(),
                job.leaseExpiresAt());
    }
}
