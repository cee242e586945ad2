package io.flux2.jobs.api;

import io.flux2.common.problem.ApiProblem;
import io.flux2.jobs.webhooks.WebhookDeliveries;
import io.flux2.jobs.webhooks.WebhookDelivery;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Manual redelivery of a webhook message (same webhook-id, fresh attempts). */
@RestController
@RequestMapping("/internal/webhook-deliveries")
public class WebhookController {

    private final WebhookDeliveries deliveries;

    public WebhookController(WebhookDeliveries deliveries) {
        this.deliveries = deliveries;
    }

    @PostMapping("/{id}/redeliver")
    public Mono<ResponseEntity<WebhookDelivery>> redeliver(@PathVariable String id, @RequestParam String tenantId) {
        return Mono.justOrEmpty(Ids.parse(id))
                .flatMap(deliveryId -> deliveries.redeliver(deliveryId, tenantId))
                .map(delivery -> ResponseEntity.accepted().body(delivery))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Webhook delivery " + id)));
    }
}
