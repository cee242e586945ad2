package io.flux2.gateway.webhooks;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyAuthenticator;
import io.flux2.gateway.results.ResultController;
import io.flux2.gateway.upstream.JobServiceClient;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * The delivery log of a job's webhook and redelivery of a message, for the tenant that owns the job: another
 * tenant's job or delivery is a 404 like an unknown one.
 */
@RestController
class WebhookDeliveriesController {

    private final ApiKeyAuthenticator authenticator;
    private final JobServiceClient jobs;

    WebhookDeliveriesController(ApiKeyAuthenticator authenticator, JobServiceClient jobs) {
        this.authenticator = authenticator;
        this.jobs = jobs;
    }

    /** Every message sent (or being sent) for the job, oldest first; none when the job has no webhook. */
    @GetMapping("/v2/jobs/{id}/webhook-deliveries")
    Mono<Map<String, List<WebhookDeliveryView>>> list(@PathVariable String id, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> plausible(id, "Job")
                .then(jobs.webhookDeliveries(id, caller.tenantId()))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Job " + id)))
                .map(items -> Map.of("items", items.stream().map(WebhookDeliveryView::of).toList())));
    }

    /**
     * Sends the message again with the same {@code webhook-id} and fresh attempts (202): for a receiver that was
     * down longer than the retries lasted, or lost what it received.
     */
    @PostMapping("/v2/webhook-deliveries/{id}/redeliver")
    Mono<ResponseEntity<WebhookDeliveryView>> redeliver(@PathVariable String id, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> plausible(id, "Webhook delivery")
                .then(jobs.redeliverWebhook(id, caller.tenantId()))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Webhook delivery " + id)))
                .map(delivery -> ResponseEntity.status(HttpStatus.ACCEPTED).body(WebhookDeliveryView.of(delivery))));
    }

    private static Mono<Void> plausible(String id, String what) {
        return ResultController.PLAUSIBLE_ID.matcher(id).matches() ? Mono.empty()
                : Mono.error(ApiProblem.notFound(what + " " + id));
    }
}
