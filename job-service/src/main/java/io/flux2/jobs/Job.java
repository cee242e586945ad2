package io.flux2.jobs;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/** One row of {@code jobs.jobs}, as every feature of the service sees it. */
public record Job(
        UUID id,
        String tenantId,
        String tier,
        String model,
        int priority,
        JobStatus status,
        GenerationRequest request,
        JobResult result,
        Map<String, Object> details,
        double progress,
        int attempts,
        int maxAttempts,
        UUID leaseId,
        String leaseOwner,
        Instant leaseExpiresAt,
        boolean cancelRequested,
        Instant availableAt,
        Instant nextCheckAt,
        Instant createdAt,
        Instant updatedAt,
        String apiKeyId,
        BigDecimal cost,
        Integer stepsRun,
        Integer totalSteps) {
}
