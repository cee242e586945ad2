package io.flux2.jobs.assets;

import io.flux2.common.client.ServiceClient;
import io.flux2.common.client.ServiceClients;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;

/** What job-service asks of asset-service: an output's bytes, a URL to it, and deleting it. */
@Component
public class AssetClient {

    private final ServiceClient assets;

    public AssetClient(ServiceClients clients) {
        this.assets = clients.forService("asset-service");
    }

    /** @throws AssetMissingException (as the Mono's error) when the asset does not exist */
    public Mono<AssetContent> content(String assetId) {
        return assets.idempotent(web -> web.get()
                        .uri("/internal/assets/{id}/content", assetId)
                        .retrieve()
                        .toEntity(byte[].class))
                .map(entity -> {
                    MediaType type = entity.getHeaders().getContentType();
                    byte[] body = entity.getBody() == null ? new byte[0] : entity.getBody();
                    String sources = entity.getHeaders().getFirst("X-Source-Sha256");
                    return new AssetContent(body, type == null ? null : type.toString(),
                            sources == null || sources.isBlank() ? java.util.List.of()
                                    : java.util.List.of(sources.split(",")));
                })
                .onErrorMap(WebClientResponseException.NotFound.class, e -> new AssetMissingException(assetId));
    }

    /** A presigned GET of the asset valid for {@code ttl}, or empty when the asset is gone. */
    public Mono<String> presignedUrl(String assetId, java.time.Duration ttl) {
        return assets.idempotent(web -> web.get()
                        .uri(uri -> uri.path("/internal/assets/{id}/url").queryParam("ttlSeconds", "{ttl}")
                                .build(assetId, ttl.toSeconds()))
                        .retrieve()
                        .bodyToMono(PresignedUrl.class))
                .onErrorResume(WebClientResponseException.NotFound.class, e -> Mono.empty())
                .map(PresignedUrl::url);
    }

    private record PresignedUrl(String url) {
    }

    /** Deletes the asset; one that is already gone counts as deleted, so a repeat is harmless. */
    public Mono<Void> delete(String assetId) {
        return assets.idempotent(web -> web.delete()
                        .uri("/internal/assets/{id}", assetId)
                        .retrieve()
                        .toBodilessEntity())
                .onErrorResume(WebClientResponseException.class,
                        e -> e.getStatusCode().value() == HttpStatus.NOT_FOUND.value()
                                ? Mono.empty() : Mono.error(e))
                .then();
    }
}
