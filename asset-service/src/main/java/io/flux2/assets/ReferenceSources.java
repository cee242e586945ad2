package io.flux2.assets;

import io.flux2.assets.fetch.UrlFetcher;
import io.flux2.common.problem.ApiProblem;
import java.util.Base64;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;

/**
 * Turns the {@code source} of a reference into a stored asset: an {@code http(s)} URL (fetched through the
 * SSRF guard), a data URI or bare base64 (decoded within the size limit), or the id of an asset the tenant
 * already holds (a reference as it is, an output normalised into a reference).
 */
public class ReferenceSources {

    private static final String FIELD = "source";
    private static final Pattern UUID_LIKE =
            Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");

    private final Assets assets;
    private final UrlFetcher fetcher;
    private final long maxBytes;

    public ReferenceSources(Assets assets, UrlFetcher fetcher, long maxBytes) {
        this.assets = assets;
        this.fetcher = fetcher;
        this.maxBytes = maxBytes;
    }

    public Mono<Assets.Stored> store(String tenantId, String jobId, String source) {
        if (source == null || source.isBlank()) {
            return Mono.error(ApiProblem.invalidField(FIELD, "source is required: a URL, base64 image data, a data URI "
                    + "or an asset id"));
        }
        String trimmed = source.strip();
        if (UUID_LIKE.matcher(trimmed).matches()) {
            return assets.asReference(UUID.fromString(trimmed), tenantId, jobId);
        }
        if (trimmed.regionMatches(true, 0, "data:", 0, 5)) {
            return Mono.fromCallable(() -> dataUri(trimmed)).flatMap(bytes -> assets.storeReference(tenantId, jobId, bytes));
        }
        // Base64 has no colon, so a colon near the start means a URL of some scheme.
        if (trimmed.substring(0, Math.min(32, trimmed.length())).indexOf(':') > 0) {
            String scheme = trimmed.substring(0, trimmed.indexOf(':')).toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https")) {
                return Mono.error(ApiProblem.invalidField(FIELD, "The URL cannot be fetched: only http and https URLs "
                        + "can be fetched"));
            }
            return fetcher.fetch(trimmed).flatMap(bytes -> assets.storeReference(tenantId, jobId, bytes));
        }
        return Mono.fromCallable(() -> base64(trimmed)).flatMap(bytes -> assets.storeReference(tenantId, jobId, bytes));
    }

    private byte[] dataUri(String uri) {
        int comma = uri.indexOf(',');
        if (comma < 0) {
            throw ApiProblem.invalidField(FIELD, "The data URI has no data");
        }
        String meta = uri.substring(5, comma).toLowerCase(Locale.ROOT);
        if (!meta.endsWith(";base64")) {
            throw ApiProblem.invalidField(FIELD, "Only base64 data URIs are accepted");
        }
        // The declared media type is not trusted: the bytes say what they are.
        return base64(uri.substring(comma + 1));
    }

    private byte[] base64(String text) {
        String compact = WHITESPACE.matcher(text).replaceAll("");
        if (compact.length() / 4L * 3 > maxBytes + 3) {
            throw new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "Image too large",
                    "The image must be at most " + maxBytes + " bytes").with("field", FIELD).with("limit", maxBytes);
        }
        try {
            boolean urlSafe = compact.indexOf('-') >= 0 || compact.indexOf('_') >= 0;
            byte[] bytes = (urlSafe ? Base64.getUrlDecoder() : Base64.getDecoder()).decode(compact);
            if (bytes.length == 0) {
                throw ApiProblem.invalidField(FIELD, "The image data is empty");
            }
            if (bytes.length > maxBytes) {
                throw new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "Image too large",
                        "The image must be at most " + maxBytes + " bytes").with("field", FIELD).with("limit", maxBytes);
            }
            return bytes;
        } catch (IllegalArgumentException e) {
            throw ApiProblem.invalidField(FIELD, "source is neither an http(s) URL, a data URI, an asset id nor valid "
                    + "base64 image data");
        }
    }
}
