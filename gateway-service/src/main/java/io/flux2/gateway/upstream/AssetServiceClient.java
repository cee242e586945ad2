package io.flux2.gateway.upstream;

import io.flux2.common.client.ServiceClient;
import io.flux2.common.client.ServiceClients;
import io.flux2.common.problem.ApiProblem;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** asset-service's references, contents and presigned URLs, as in docs/internal-api.md. */
@Component
public class AssetServiceClient {

    static final String SERVICE = "asset-service";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    public record PresignedUrl(String url, String expiresAt) {
    }

    /** The fields of asset-service's {@code Asset} the gateway reads; width and height for references. */
    public record Asset(String id, String tenantId, String kind, String contentType, Long size, Integer width,
            Integer height) {
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
        return presigned(assetId).map(PresignedUrl::url);
    }

    /** As {@link #presignedUrl(String)}, with when the URL stops working. */
    public Mono<PresignedUrl> presigned(String assetId) {
        return client.idempotent(web -> web.get()
                        .uri(uri -> uri.path("/internal/assets/{id}/url").queryParam("ttlSeconds", "{ttl}")
                                .build(Map.of("id", assetId, "ttl", ttlSeconds)))
                        .retrieve()
                        .bodyToMono(PresignedUrl.class)
                        .onErrorResume(WebClientResponseException.NotFound.class, e -> Mono.empty()))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /** The asset's bytes, or empty when it is gone. */
    public Mono<byte[]> content(String assetId) {
        return client.idempotent(web -> web.get()
                        .uri("/internal/assets/{id}/content", assetId)
                        .retrieve()
                        .bodyToMono(byte[].class)
                        .onErrorResume(WebClientResponseException.NotFound.class, e -> Mono.empty()))
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /**
     * Stores one reference image for the tenant: an http(s) URL (fetched behind asset-service's SSRF guard),
     * base64 (raw or a {@code data:} URI) or an asset id the tenant already has. asset-service deduplicates by
     * content, so storing again is harmless and the call may be retried. A refusal (bad image, unreachable URL,
     * another tenant's asset) is a 422 naming the client's {@code field}, with asset-service's reason.
     */
    public Mono<Asset> storeReference(String tenantId, String source, String field) {
        return client.idempotent(web -> web.post()
                        .uri("/internal/assets/references")
                        .bodyValue(Map.of("tenantId", tenantId, "source", source))
                        .retrieve()
                        .bodyToMono(Asset.class))
                .onErrorMap(WebClientResponseException.class, e -> e.getStatusCode().is4xxClientError()
                        ? refused(e, field) : e)
                .onErrorMap(error -> failures.translate(SERVICE, error));
    }

    /**
     * asset-service's refusal under the client's field name. Its status stays when it is 413 (too large), and
     * its {@code limit} (largest size, side or pixel count) passes on, so the client learns what would fit.
     */
    private static ApiProblem refused(WebClientResponseException e, String field) {
        String reason = null;
        JsonNode limit = null;
        try {
            JsonNode body = JSON.readTree(e.getResponseBodyAsString());
            if (body != null && body.get("detail") != null && body.get("detail").isString()) {
                reason = body.get("detail").stringValue();
            }
            limit = body == null ? null : body.get("limit");
        } catch (RuntimeException ignored) {
            // No readable problem: the generic wording below serves.
        }
        String detail = field + " is not a usable reference image" + (reason == null ? "" : ": " + reason);
        ApiProblem problem = e.getStatusCode().value() == HttpStatus.CONTENT_TOO_LARGE.value()
                ? new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "Reference image too large", detail).with("field", field)
                : ApiProblem.invalidField(field, detail);
        return limit == null || limit.isNull() ? problem : problem.with("limit", JSON.treeToValue(limit, Object.class));
    }
}
