package io.flux2.jobs.api;

import io.flux2.jobs.GenerationRequest;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobResult;
import io.flux2.jobs.JobStatus;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * A job as the internal API shows it; leases, schedules, retry bookkeeping and the webhook secret stay
 * inside. {@code stepsRun} is the last step a worker reported (for a cancelled job: the steps it ran);
 * {@code cancelRequested} is present (true) while a running job waits for its worker to stop.
 */
public record JobView(
        UUID id,
        String tenantId,
        String tier,
        String model,
        JobStatus status,
        double progress,
        int attempts,
        GenerationRequest request,
        JobResult result,
        Map<String, Object> details,
        Instant createdAt,
        Instant updatedAt,
        String apiKeyId,
        BigDecimal cost,
        Integer stepsRun,
        Integer totalSteps,
        Boolean cancelRequested) {

    static JobView of(Job job) {
        // The stored result is the worker's report; until the output passed its check it is not a result.
        JobResult result = job.status() == JobStatus.READY ? job.result() : null;
        Boolean cancelRequested = job.cancelRequested() && !job.status().isFinal() ? Boolean.TRUE : null;
        return new JobView(job.id(), job.tenantId(), job.tier(), job.model(), job.status(), job.progress(),
                job.attempts(), job.request(), result, job.details(), job.createdAt(), job.updatedAt(),
                job.apiKeyId(), job.cost(), job.stepsRun(), job.totalSteps(), cancelRequested);
    }
}
