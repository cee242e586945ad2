package io.flux2.assets;

import java.time.Instant;

public record PresignedUrl(String url, Instant expiresAt) {
}
