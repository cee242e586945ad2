package io.flux2.assets;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * {@code flux.assets.*}.
 *
 * @param s3        where the bytes live
 * @param maxBytes  the largest upload accepted
 * @param urlTtl    how long a presigned URL lives when the caller names no TTL
 * @param maxUrlTtl the longest TTL a caller may ask for (SigV4 itself stops at 7 days)
 */
@Validated
@ConfigurationProperties("flux.assets")
public record AssetProperties(@Valid @NotNull S3 s3, Long maxBytes, Duration urlTtl, Duration maxUrlTtl) {

    public AssetProperties {
        maxBytes = maxBytes == null ? 32L * 1024 * 1024 : maxBytes;
        urlTtl = urlTtl == null ? Duration.ofMinutes(10) : urlTtl;
        maxUrlTtl = maxUrlTtl == null ? Duration.ofDays(1) : maxUrlTtl;
    }

    /**
     * @param endpoint        e.g. {@code http://127.0.0.1:9000}; what this service talks to
     * @param publicEndpoint  the store as clients outside the cluster reach it; only presigned URLs use it,
     *                        and they are signed for that host. Absent: {@code endpoint}
     * @param region          the signing region; S3-compatible stores accept {@code us-east-1}
     * @param connectTimeout  for a TCP connect to the store; short, so a dead store fails fast
     * @param callTimeout     the longest one store call may take, transfer included
     * @param retries         further attempts for idempotent calls (get, stat, presign, delete)
     * @param retryBackoff    the wait before the first retry; doubled for each further one
     */
    public record S3(@NotBlank String endpoint, String publicEndpoint, @NotBlank String accessKey,
            @NotBlank String secretKey, @NotBlank String bucket, String region, Duration connectTimeout,
            Duration callTimeout, Integer retries, Duration retryBackoff) {

        public S3 {
            region = region == null || region.isBlank() ? "us-east-1" : region;
            publicEndpoint = publicEndpoint == null || publicEndpoint.isBlank() ? null : publicEndpoint;
            connectTimeout = connectTimeout == null ? Duration.ofSeconds(2) : connectTimeout;
            callTimeout = callTimeout == null ? Duration.ofSeconds(30) : callTimeout;
            retries = retries == null ? 2 : retries;
            retryBackoff = retryBackoff == null ? Duration.ofMillis(200) : retryBackoff;
        }

        public String presignEndpoint() {
            return publicEndpoint == null ? endpoint : publicEndpoint;
        }
    }
}
