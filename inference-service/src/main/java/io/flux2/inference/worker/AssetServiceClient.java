package io.flux2.inference.worker;

import io.flux2.common.client.ServiceClient;
import io.flux2.inference.output.EncodedImage;
import io.flux2.inference.output.OutputFormat;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClientResponseException;

/** Stores finished images in asset-service. */
class AssetServiceClient {

    private final ServiceClient client;

    AssetServiceClient(ServiceClient client) {
        this.client = client;
    }

    /**
     * The stored bytes of an asset (for a reference: asset-service's normalised image, PNG).
     *
     * @throws ReferenceNotFoundException on 404
     */
    byte[] content(String assetId) {
        try {
            byte[] bytes = client.idempotent(web -> web.get()
                    .uri("/internal/assets/{id}/content", assetId)
                    .retrieve()
                    .bodyToMono(byte[].class)).block();
            if (bytes == null) {
                throw new IllegalStateException("asset-service sent no content for asset " + assetId);
            }
            return bytes;
        } catch (WebClientResponseException e) {
            if (e.getStatusCode().value() == HttpStatus.NOT_FOUND.value()) {
                throw new ReferenceNotFoundException(assetId);
            }
            throw e;
        }
    }

    /** asset-service has no asset with this id: retrying cannot help. */
    static final class ReferenceNotFoundException extends RuntimeException {
        ReferenceNotFoundException(String assetId) {
            super("asset " + assetId + " does not exist");
        }
    }

    /** Deletes an asset this worker stored for a job it no longer holds; a repeat finds it gone (404). */
    void delete(String assetId) {
        client.idempotent(web -> web.delete()
                .uri("/internal/assets/{id}", assetId)
                .retrieve()
                .onStatus(status -> status.value() == HttpStatus.NOT_FOUND.value(), response -> response.releaseBody()
                        .then(reactor.core.publisher.Mono.empty()))
                .toBodilessEntity()).block();
    }

    /**
     * Stores a generated image; asset-service encodes it in {@code format} with provenance in the file.
     *
     * @return the new asset
     */
    LeaseMessages.Asset uploadOutput(String tenantId, String jobId, EncodedImage image, OutputFormat format,
            String model) {
        // Not idempotent: a blind repeat would store a second asset.
        LeaseMessages.Asset asset = client.once(web -> web.post()
                .uri(uri -> uri.path("/internal/assets")
                        .queryParam("tenantId", "{tenantId}")
                        .queryParam("kind", "output")
                        .queryParam("jobId", "{jobId}")
                        .queryParam("format", "{format}")
                        .queryParam("model", "{model}")
                        .build(tenantId, jobId, format.formatName(), model))
                .contentType(MediaType.parseMediaType(image.contentType()))
                .bodyValue(image.bytes())
                .retrieve()
                .bodyToMono(LeaseMessages.Asset.class)).block();
        if (asset == null || asset.id() == null) {
            throw new IllegalStateException("asset-service answered without an asset id");
        }
        return asset;
    }
}
