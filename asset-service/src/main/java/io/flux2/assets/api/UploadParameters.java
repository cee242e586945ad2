package io.flux2.assets.api;

import io.flux2.assets.AssetKind;
import io.flux2.assets.ImageType;
import io.flux2.common.problem.ApiProblem;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.http.MediaType;

/** Checks of the query and headers of an upload and of the id in a path. */
final class UploadParameters {

    // Tenant and job ids become parts of an object key: no slashes, no dot-dot tricks, nothing to escape.
    private static final Pattern KEY_SAFE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,127}");

    private UploadParameters() {
    }

    static String tenantId(String tenantId) {
        if (tenantId == null || tenantId.isBlank()) {
            throw ApiProblem.invalidField("tenantId", "tenantId is required");
        }
        return keySafe("tenantId", tenantId);
    }

    static String jobId(String jobId) {
        return jobId == null || jobId.isBlank() ? null : keySafe("jobId", jobId);
    }

    static AssetKind kind(String kind) {
        return AssetKind.parse(kind).orElseThrow(() ->
                ApiProblem.invalidField("kind", "kind must be output or reference"));
    }

    static ImageType imageType(MediaType contentType) {
        String bare = contentType == null ? null : contentType.getType() + "/" + contentType.getSubtype();
        return ImageType.ofContentType(bare).orElseThrow(() -> ApiProblem.invalidField("contentType",
                "Content-Type must be image/png, image/jpeg or image/webp"));
    }

    /** A malformed id cannot name an asset, so it is simply not found. */
    static UUID assetId(String id) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw ApiProblem.notFound("Asset " + id);
        }
    }

    private static String keySafe(String field, String value) {
        if (!KEY_SAFE.matcher(value).matches()) {
            throw ApiProblem.invalidField(field, field
                    + " must be 1 to 128 letters, digits, '.', '_' or '-', starting with a letter or digit");
        }
        return value;
    }
}
