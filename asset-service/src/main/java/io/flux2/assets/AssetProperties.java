package io.flux2.assets;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * {@code flux.assets.*}.
 *
 * @param s3        where the bytes live
 * @param maxBytes  the largest upload accepted
 * @param urlTtl    how long a presigned URL lives when the caller names no TTL
 * @param maxUrlTtl the longest TTL a caller may ask for (SigV4 itself stops at 7 days)
 * @param images    decoding limits
 * @param fetch     fetching references by URL
 * @param retention how long assets are kept
 */
@Validated
@ConfigurationProperties("flux.assets")
public record AssetProperties(@Valid @NotNull S3 s3, Long maxBytes, Duration urlTtl, Duration maxUrlTtl,
        Images images, Fetch fetch, Retention retention) {

    public AssetProperties {
        maxBytes = maxBytes == null ? 32L * 1024 * 1024 : maxBytes;
        urlTtl = urlTtl == null ? Duration.ofMinutes(10) : urlTtl;
        maxUrlTtl = maxUrlTtl == null ? Duration.ofDays(1) : maxUrlTtl;
        images = images == null ? new Images(null, null, null, null, null, null) : images;
        fetch = fetch == null ? new Fetch(null, null, null, null) : fetch;
        retention = retention == null ? new Retention(null, null, null, null, null) : retention;
    }

    /**
     * Limits checked on the header, before any pixel is decoded (decompression bombs).
     *
     * @param maxPixels         width times height
     * @param maxSide           the longest side
     * @param maxTrailingBytes  bytes tolerated after the image's end marker (PNG IEND, JPEG EOI, RIFF size);
     *                          more means another file rides along (polyglot)
     * @param maxConcurrentDecodes decodes at once, so memory stays bounded under load
     * @param decodeWait        how long an image waits for a decode slot before the answer is 503; well inside a
     *                          worker's lease, as its output upload waits here too
     * @param maxReferenceSources the sha256 of the files a reference was made from kept for hash blocklists, the
     *                          most recent; they travel in a header and a query string, so the number is bounded
     */
    public record Images(Long maxPixels, Integer maxSide, Integer maxTrailingBytes, Integer maxConcurrentDecodes,
            Duration decodeWait, Integer maxReferenceSources) {
        public Images {
            maxReferenceSources = maxReferenceSources == null ? 16 : maxReferenceSources;
            decodeWait = decodeWait == null ? Duration.ofSeconds(10) : decodeWait;
            maxPixels = maxPixels == null ? 4096L * 4096 : maxPixels;
            maxSide = maxSide == null ? 8192 : maxSide;
            maxTrailingBytes = maxTrailingBytes == null ? 16 : maxTrailingBytes;
            maxConcurrentDecodes = maxConcurrentDecodes == null ? 2 : maxConcurrentDecodes;
        }
    }

    /**
     * @param allowedHosts host names or literal addresses exempt from the address check (tests, a trusted
     *                     internal image host); empty in production
     * @param timeout      the whole fetch, redirects included
     * @param maxRedirects redirects followed, each one checked again
     * @param maxBytes     the largest body fetched; absent: {@code flux.assets.max-bytes}
     */
    public record Fetch(List<String> allowedHosts, Duration timeout, Integer maxRedirects, Long maxBytes) {
        public Fetch {
            allowedHosts = allowedHosts == null ? List.of() : List.copyOf(allowedHosts);
            timeout = timeout == null ? Duration.ofSeconds(10) : timeout;
            maxRedirects = maxRedirects == null ? 3 : maxRedirects;
        }
    }

    /**
     * @param outputs         how long outputs are kept after creation
     * @param references      how long references are kept after their last use
     * @param sweepInterval   how often the sweeper runs; zero or negative turns it off
     * @param batchSize       assets deleted per sweep round
     * @param bucketLifecycle also install bucket lifecycle rules (objects tagged by kind, expiring a day after
     *                        the sweeper would delete them); only on stores that support lifecycle and tagging
     */
    public record Retention(Duration outputs, Duration references, Duration sweepInterval, Integer batchSize,
            Boolean bucketLifecycle) {
        public Retention {
            outputs = outputs == null ? Duration.ofDays(7) : outputs;
            references = references == null ? Duration.ofDays(30) : references;
            sweepInterval = sweepInterval == null ? Duration.ofHours(1) : sweepInterval;
            batchSize = batchSize == null ? 500 : batchSize;
            bucketLifecycle = bucketLifecycle != null && bucketLifecycle;
        }
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
