package io.flux2.assets;

import java.time.Instant;
import java.util.UUID;

/**
 * An image the platform holds, as {@code docs/internal-api.md} describes it.
 *
 * @param kind  {@code output} or {@code reference}
 * @param key   the object key in the bucket
 * @param jobId the job that produced or uses it, when the uploader said so
 */
public record Asset(UUID id, String tenantId, String kind, String key, String contentType, long size,
        String sha256, Instant createdAt, String jobId) {
}
