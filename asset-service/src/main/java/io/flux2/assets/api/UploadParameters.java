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

    /** A reference's type comes from its bytes; the header only has to be an image type or octet-stream. */
    static void referenceType(MediaType contentType) {
        if (contentType != null && !contentType.getType().equals("image")
                && !contentType.isCompatibleWith(MediaType.APPLICATION_OCTET_STREAM)) {
            throw ApiProblem.invalidField("contentType", "Content-Type must be an image type or application/octet-stream");
        }
    }

    /** The output format to encode in; absent: keep the bytes as they came. */
    static ImageType format(String format) {
        if (format == null || format.isBlank()) {
            return null;
        }
        return switch (format.toLowerCase(java.util.Locale.ROOT)) {
            case "png" -> ImageType.PNG;
            case "jpeg", "jpg" -> ImageType.JPEG;
            case "webp" -> ImageType.WEBP;
            default -> throw ApiProblem.invalidField("format", "format must be png, jpeg or webp");
        };
    }

    static String model(String model) {
        return model == null || model.isBlank() ? null : keySafe("model", model);
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
