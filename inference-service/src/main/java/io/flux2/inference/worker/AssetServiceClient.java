package io.flux2.inference.worker;

import io.flux2.common.client.ServiceClient;
import io.flux2.inference.output.EncodedImage;
import org.springframework.http.MediaType;

/** Stores finished images in asset-service. */
class AssetServiceClient {

    private final ServiceClient client;

    AssetServiceClient(ServiceClient client) {
        this.client = client;
    }

    /** @return the new asset's id */
    String uploadOutput(String tenantId, String jobId, EncodedImage image) {
        // Not idempotent: a blind repeat would store a second asset.
        LeaseMessages.Asset asset = client.once(web -> web.post()
                .uri(uri -> uri.path("/internal/assets")
                        .queryParam("tenantId", "{tenantId}")
                        .queryParam("kind", "output")
                        .queryParam("jobId", "{jobId}")
                        .build(tenantId, jobId))
                .contentType(MediaType.parseMediaType(image.contentType()))
                .bodyValue(image.bytes())
                .retrieve()
                .bodyToMono(LeaseMessages.Asset.class)).block();
        if (asset == null || asset.id() == null) {
            throw new IllegalStateException("asset-service answered without an asset id");
        }
        return asset.id();
    }
}
