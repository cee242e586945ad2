package io.flux2.gateway.webhooks;

import com.fasterxml.jackson.annotation.JsonProperty;
import tools.jackson.databind.JsonNode;

/**
 * One webhook message of a job as the tenant sees it: where it goes, what it carries, how its attempts went.
 * {@code id} is the {@code webhook-id} header of every attempt. The signing secret is never shown.
 */
public record WebhookDeliveryView(
        String id,
        @JsonProperty("job_id") String jobId,
        String url,
        @JsonProperty("event_type") String eventType,
        String status,
        int attempts,
        @JsonProperty("next_attempt_at") String nextAttemptAt,
        @JsonProperty("last_status_code") Integer lastStatusCode,
        @JsonProperty("last_error") String lastError,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("delivered_at") String deliveredAt,
        JsonNode payload) {

    /** From job-service's delivery ({@code docs/internal-api.md}). */
    static WebhookDeliveryView of(JsonNode delivery) {
        return new WebhookDeliveryView(text(delivery, "id"), text(delivery, "jobId"), text(delivery, "url"),
                text(delivery, "eventType"), text(delivery, "status"), delivery.path("attempts").asInt(0),
                text(delivery, "nextAttemptAt"),
                delivery.path("lastStatusCode").isNumber() ? delivery.path("lastStatusCode").asInt() : null,
                text(delivery, "lastError"), text(delivery, "createdAt"), text(delivery, "deliveredAt"),
                delivery.get("payload"));
    }

    private static String text(JsonNode node, String field) {
        JsonNode value = node.get(field);
        return value == null || value.isNull() ? null : value.asString();
    }
}
