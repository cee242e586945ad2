package io.flux2.gateway.upstream;

import io.flux2.common.client.ServiceClient;
import io.flux2.common.client.ServiceClients;
import java.util.Map;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;

/** asset-service's presigned URLs, as in docs/internal-api.md. */
@Component
public class AssetServiceClient {

    static final String SERVICE = "asset-service";

    record PresignedUrl(String url, String expiresAt) {
    }

    private final ServiceClient client;
    private final UpstreamFailures failures;
    private final long ttlSeconds;

    public AssetServiceClient(ServiceClients clients, UpstreamFailures failures, UpstreamProperties properties) {
        this.client = clients.forService(SERVICE);
        this.failures = failures;
        this.ttlSeconds = properties.sampleUrlTtl().toSeconds();
    }

    /** A fresh presigned GET for the asset, or empty when the asset is gone (deleted or past retention). */
    public Mono<String> presignedUrl(String assetId) {
        return client.idempotent(web -> web.get()
                        .uri(uri -> uri.path("/internal/assets/{id}/url").queryParam("ttlSeconds", "{ttl}")
                                .build(Map.of("id", assetId, "ttl", ttlSeconds)))
                        .retrieve()
                        .bodyToMono(PresignedUrl.class)
                        .onErrorResume(WebClientResponseException.NotFound.class, e -> Mono.empty()))
                .map(PresignedUrl::url)
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }
}
