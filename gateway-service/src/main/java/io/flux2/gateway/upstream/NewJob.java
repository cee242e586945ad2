package io.flux2.gateway.upstream;

import java.math.BigDecimal;
import java.util.UUID;

/**
 * The body of job-service's {@code POST /internal/jobs} (docs/internal-api.md, with the issue 4 additions).
 *
 * @param activeJobLimit the key's limit of unfinished jobs; job-service enforces it atomically (429)
 * @param requestHash    sha256 of the client's canonical body, with {@code idempotencyKey}; both null without
 *                       an {@code Idempotency-Key} header
 * @param cost           credits, recorded for usage and spend caps
 * @param monthlySpendCap the tenant's cap; job-service checks it with the cost under a lock of the tenant's (402)
 */
public record NewJob(
        String tenantId,
        String tier,
        String model,
        int priority,
        GenerationRequest request,
        UUID apiKeyId,
        Integer activeJobLimit,
        String idempotencyKey,
        String requestHash,
        Double cost,
        Webhook webhook,
        BigDecimal monthlySpendCap) {

    /** Where job-service posts the finished job, signed the Standard Webhooks way with the secret. */
    public record Webhook(String url, String secret) {
    }
}
