package io.flux2.gateway.upstream;

import io.flux2.common.auth.InternalProperties;
import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.common.client.ClientProperties;
import io.flux2.common.client.ServiceClient;
import io.flux2.common.client.ServiceClients;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/** job-service's {@code /internal/jobs} and {@code /internal/usage}, as in docs/internal-api.md. */
@Component
public class JobServiceClient {

    static final String SERVICE = "job-service";
    public static final String REPLAYED_HEADER = "Idempotent-Replayed";
    private static final ParameterizedTypeReference<ServerSentEvent<String>> SSE =
            new ParameterizedTypeReference<>() {
            };

    /** A created job, and whether job-service answered an earlier create with the same idempotency key. */
    public record Created(Job job, boolean replayed) {
    }

    /** One page of {@code GET /internal/jobs}. */
    public record JobPage(List<Job> items, String nextCursor) {
        public JobPage {
            items = items == null ? List.of() : items;
        }
    }

    private static final Job NO_BODY =
            new Job(null, null, null, null, null, null, null, null, null, null, null, null, null, null, null);

    private final ServiceClient client;
    private final UpstreamFailures failures;
    /** For the event stream, which outlives any call timeout and must not pass through retries. */
    private final WebClient streaming;

    public JobServiceClient(ServiceClients clients, UpstreamFailures failures, ClientProperties clientProperties,
            InternalProperties internal, WebClient.Builder builder) {
        this.client = clients.forService(SERVICE);
        this.failures = failures;
        ClientProperties.Service service = clientProperties.services().get(SERVICE);
        this.streaming = builder.clone()
                .baseUrl(service == null ? "http://job-service.invalid" : service.baseUrl())
                .defaultHeader(InternalTokenFilter.HEADER, internal.token())
                .build();
    }

    /**
     * Submits once: a repeated POST could create (and charge) a second job. With an idempotency key,
     * job-service's replay (200 + {@code Idempotent-Replayed}), conflict (409) and mismatch (422) pass
     * through, as does its active-job limit (429 with Retry-After).
     */
    public Mono<Created> create(NewJob job) {
        return client.once(web -> web.post().uri("/internal/jobs").bodyValue(job).retrieve().toEntity(Job.class))
                .map(entity -> new Created(entity.getBody(),
                        "true".equalsIgnoreCase(entity.getHeaders().getFirst(REPLAYED_HEADER))))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /**
     * The job an earlier, committed create with this Idempotency-Key made, as a replay; empty when the key is
     * unknown to job-service (or its create is still in flight). A key used with another request is job-service's
     * 422, passed through.
     */
    public Mono<Created> replay(String tenantId, String idempotencyKey, String requestHash) {
        return client.idempotent(web -> web.get()
                        .uri(uri -> uri.path("/internal/jobs/by-idempotency-key").queryParam("tenantId", "{tenantId}")
                                .queryParam("idempotencyKey", "{key}").queryParam("requestHash", "{hash}")
                                .build(Map.of("tenantId", tenantId, "key", idempotencyKey, "hash", requestHash)))
                        .retrieve()
                        .bodyToMono(Job.class)
                        .onErrorResume(WebClientResponseException.class,
                                e -> e.getStatusCode().value() == 404 ? Mono.empty() : Mono.error(e)))
                .map(job -> new Created(job, true))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /** The tenant's job, or empty when it does not exist or belongs to another tenant. */
    public Mono<Job> find(String id, String tenantId) {
        return client.idempotent(web -> web.get()
                        .uri(uri -> uri.path("/internal/jobs/{id}").queryParam("tenantId", "{tenantId}")
                                .build(Map.of("id", id, "tenantId", tenantId)))
                        .retrieve()
                        .bodyToMono(Job.class)
                        // Inside the call, so an unknown id is an answer, not a failure the breaker counts. An id
                        // job-service cannot even parse (400/422) is just as unknown.
                        .onErrorResume(WebClientResponseException.class,
                                e -> isUnknownId(e) ? Mono.empty() : Mono.error(e)))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /** The tenant's jobs, newest first; the cursor is job-service's and opaque here. */
    public Mono<JobPage> list(String tenantId, int limit, String cursor) {
        return client.idempotent(web -> web.get()
                        .uri(uri -> {
                            uri.path("/internal/jobs").queryParam("tenantId", "{tenantId}")
                                    .queryParam("limit", "{limit}");
                            Map<String, Object> vars = new HashMap<>(Map.of("tenantId", tenantId, "limit", limit));
                            if (cursor != null && !cursor.isBlank()) {
                                uri.queryParam("cursor", "{cursor}");
                                vars.put("cursor", cursor);
                            }
                            return uri.build(vars);
                        })
                        .retrieve()
                        .bodyToMono(JobPage.class))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /**
     * Cancels the tenant's job (at once when not yet running, at the next step otherwise), or empty when
     * it is unknown. An answer without a body is followed by a read of the job.
     */
    public Mono<Job> cancel(String id, String tenantId) {
        // Cancelling twice is harmless, so it may be retried.
        return client.idempotent(web -> web.post()
                        .uri(uri -> uri.path("/internal/jobs/{id}/cancel").queryParam("tenantId", "{tenantId}")
                                .build(Map.of("id", id, "tenantId", tenantId)))
                        .retrieve()
                        .toEntity(Job.class)
                        .map(entity -> entity.getBody() == null ? NO_BODY : entity.getBody())
                        .onErrorResume(WebClientResponseException.class,
                                e -> e.getStatusCode().value() == 404 ? Mono.empty() : Mono.error(e)))
                .onErrorMap(error -> failures.translate(SERVICE, error))
                .flatMap(job -> job == NO_BODY ? find(id, tenantId) : Mono.just(job));
    }

    /** The webhook deliveries of the tenant's job, oldest first; empty when the job is unknown to the tenant. */
    public Mono<List<JsonNode>> webhookDeliveries(String jobId, String tenantId) {
        return client.idempotent(web -> web.get()
                        .uri(uri -> uri.path("/internal/jobs/{id}/webhook-deliveries").queryParam("tenantId", "{tenantId}")
                                .build(Map.of("id", jobId, "tenantId", tenantId)))
                        .retrieve()
                        .bodyToFlux(JsonNode.class)
                        .collectList()
                        .onErrorResume(WebClientResponseException.class,
                                e -> isUnknownId(e) ? Mono.empty() : Mono.error(e)))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /**
     * Sends a delivery of the tenant's again (same webhook-id, fresh attempts); empty when it is unknown to the
     * tenant. Once only: a repeat would restart the attempts again.
     */
    public Mono<JsonNode> redeliverWebhook(String deliveryId, String tenantId) {
        return client.once(web -> web.post()
                        .uri(uri -> uri.path("/internal/webhook-deliveries/{id}/redeliver")
                                .queryParam("tenantId", "{tenantId}").build(Map.of("id", deliveryId, "tenantId", tenantId)))
                        .retrieve()
                        .bodyToMono(JsonNode.class)
                        .onErrorResume(WebClientResponseException.class,
                                e -> isUnknownId(e) ? Mono.empty() : Mono.error(e)))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /** {@code {jobs, megapixels, credits, byTier}} of the tenant between two instants. */
    public Mono<JsonNode> usage(String tenantId, Instant from, Instant to) {
        return client.idempotent(web -> web.get()
                        .uri(uri -> uri.path("/internal/usage").queryParam("tenantId", "{tenantId}")
                                .queryParam("from", "{from}").queryParam("to", "{to}")
                                .build(Map.of("tenantId", tenantId, "from", from.toString(), "to", to.toString())))
                        .retrieve()
                        .bodyToMono(JsonNode.class))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /**
     * The job's events after sequence number {@code after}, live until the terminal one. Not retried and
     * without a total timeout: a stream lasts as long as the job.
     */
    public Flux<ServerSentEvent<String>> events(String id, String tenantId, Long after) {
        return streaming.get()
                .uri(uri -> {
                    uri.path("/internal/jobs/{id}/events/stream").queryParam("tenantId", "{tenantId}");
                    Map<String, Object> vars = new HashMap<>(Map.of("id", id, "tenantId", tenantId));
                    if (after != null) {
                        uri.queryParam("after", "{after}");
                        vars.put("after", after);
                    }
                    return uri.build(vars);
                })
                .accept(MediaType.TEXT_EVENT_STREAM)
                .retrieve()
                .bodyToFlux(SSE)
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    private static boolean isUnknownId(WebClientResponseException e) {
        int status = e.getStatusCode().value();
        return status == 404 || status == 400 || status == 422;
    }
}
