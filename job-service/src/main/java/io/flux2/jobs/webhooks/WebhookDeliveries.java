package io.flux2.jobs.webhooks;

import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/**
 * The delivery log. Deliveries are created by the {@code jobs.enqueue_webhook} trigger when a job with a
 * webhook reaches a final status, and sent by the {@link WebhookDispatcher}.
 */
@Component
public class WebhookDeliveries {

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };
    private static final String COLUMNS = "d.id, d.job_id, d.url, d.event_type, d.payload::text as payload, d.status, "
            + "d.attempts, d.next_attempt_at, d.last_status_code, d.last_error, d.created_at, d.delivered_at";

    private final DatabaseClient db;
    private final ObjectMapper json;

    public WebhookDeliveries(DatabaseClient db, ObjectMapper json) {
        this.db = db;
        this.json = json;
    }

    /** The job's deliveries, oldest first. */
    public Flux<WebhookDelivery> forJob(UUID jobId) {
        return db.sql("select " + COLUMNS + " from jobs.webhook_deliveries d where d.job_id = :jobId "
                        + "order by d.created_at, d.id")
                .bind("jobId", jobId)
                .map(this::toDelivery)
                .all();
    }

    /**
     * Sends the delivery again from now on, with a fresh allowance of attempts and time (its id, and so
     * its webhook-id, stays). Empty when no delivery of the tenant has this id.
     */
    public Mono<WebhookDelivery> redeliver(UUID deliveryId, String tenantId) {
        return db.sql("""
                        update jobs.webhook_deliveries d
                        set status = 'pending', attempts = 0, next_attempt_at = now(), window_started_at = now(),
                            delivered_at = null, claim_id = null
                        from jobs.jobs j
                        where d.id = :id and j.id = d.job_id and j.tenant_id = :tenantId
                        returning %s
                        """.formatted(COLUMNS))
                .bind("id", deliveryId)
                .bind("tenantId", tenantId)
                .map(this::toDelivery)
                .one();
    }

    WebhookDelivery toDelivery(Readable row) {
        return new WebhookDelivery(
                row.get("id", UUID.class),
                row.get("job_id", UUID.class),
                row.get("url", String.class),
                row.get("event_type", String.class),
                json.readValue(row.get("payload", String.class), MAP),
                row.get("status", String.class),
                row.get("attempts", Integer.class),
                row.get("next_attempt_at", Instant.class),
                row.get("last_status_code", Integer.class),
                row.get("last_error", String.class),
                row.get("created_at", Instant.class),
                row.get("delivered_at", Instant.class));
    }
}
