package io.flux2.inference.output;

import java.util.Locale;

/**
 * The image formats a generation can be delivered in; names as in the BFL API's {@code output_format}. The
 * worker hands asset-service a lossless PNG and the requested format; asset-service encodes the delivered
 * file (WebP included) and writes the provenance into it, so every output is encoded one way.
 */
public enum OutputFormat {
    PNG("png", "image/png"),
    JPEG("jpeg", "image/jpeg"),
    WEBP("webp", "image/webp");

    private final String formatName;
    private final String contentType;

    OutputFormat(String formatName, String contentType) {
        this.formatName = formatName;
        this.contentType = contentType;
    }

    public String formatName() {
        return formatName;
    }

    public String contentType() {
        return contentType;
    }

    /** {@code png}, {@code jpeg}, {@code jpg} or {@code webp}, any case; null means the BFL default, JPEG. */
    public static OutputFormat parse(String value) {
        if (value == null || value.isBlank()) {
            return JPEG;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "png" -> PNG;
            case "jpeg", "jpg" -> JPEG;
            case "webp" -> WEBP;
            default -> throw new IllegalArgumentException(
                    "Unknown output format '" + value + "'; use png, jpeg or webp");
        };
    }
}
