package io.flux2.gateway.upstream;

/** The body of job-service's {@code POST /internal/jobs}. */
public record NewJob(String tenantId, String tier, String model, int priority, GenerationRequest request) {
}
