package io.flux2.assets;

import java.time.Instant;
import java.util.UUID;

/**
 * An image the platform holds, as {@code docs/internal-api.md} describes it.
 *
 * @param kind   {@code output} or {@code reference}
 * @param key    the object key in the bucket
 * @param sha256 of the stored bytes; for a reference, the normalised image, so it also identifies the picture
 * @param jobId  the job that produced or uses it, when the uploader said so
 * @param width  in pixels; absent for assets stored before sizes were recorded
 * @param height in pixels
 */
public record Asset(UUID id, String tenantId, String kind, String key, String contentType, long size,
        String sha256, Instant createdAt, String jobId, Integer width, Integer height) {

    public Asset(UUID id, String tenantId, String kind, String key, String contentType, long size, String sha256,
            Instant createdAt, String jobId) {
        this(id, tenantId, kind, key, contentType, size, sha256, createdAt, jobId, null, null);
    }
}
