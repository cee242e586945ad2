package io.flux2.jobs.webhooks;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;

/**
 * One webhook message and how its delivery went. {@code id} is the {@code webhook-id} header, the same
 * on every attempt; {@code status} is {@code pending}, {@code delivered} or {@code failed}.
 */
public record WebhookDelivery(
        UUID id,
        UUID jobId,
        String url,
        String eventType,
        Map<String, Object> payload,
        String status,
        int attempts,
        Instant nextAttemptAt,
        Integer lastStatusCode,
        String lastError,
        Instant createdAt,
        Instant deliveredAt) {
}
