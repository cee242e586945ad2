package io.flux2.jobs.store;

import io.flux2.jobs.GenerationRequest;
import java.math.BigDecimal;

/** Everything a job is created with. {@code apiKeyId}, {@code cost} and the webhook may be null. */
public record NewJob(
        String tenantId,
        String tier,
        String model,
        int priority,
        GenerationRequest request,
        String apiKeyId,
        BigDecimal cost,
        String webhookUrl,
        String webhookSecret) {
}
