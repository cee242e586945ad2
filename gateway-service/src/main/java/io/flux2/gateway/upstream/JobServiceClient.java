package io.flux2.gateway.upstream;

import io.flux2.common.client.ServiceClient;
import io.flux2.common.client.ServiceClients;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;

/** job-service's {@code /internal/jobs}, as in docs/internal-api.md. */
@Component
public class JobServiceClient {

    static final String SERVICE = "job-service";

    private final ServiceClient client;
    private final UpstreamFailures failures;

    public JobServiceClient(ServiceClients clients, UpstreamFailures failures) {
        this.client = clients.forService(SERVICE);
        this.failures = failures;
    }

    /** Submits once: a repeated POST could create (and charge) a second job. */
    public Mono<Job> create(NewJob job) {
        return client.once(web -> web.post().uri("/internal/jobs").bodyValue(job).retrieve().bodyToMono(Job.class))
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

    private static boolean isUnknownId(WebClientResponseException e) {
        int status = e.getStatusCode().value();
        return status == 404 || status == 400 || status == 422;
    }
}
