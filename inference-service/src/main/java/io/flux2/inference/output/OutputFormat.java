package io.flux2.inference.output;

import java.util.Locale;

/** The image formats a generation can be delivered in; names as in the BFL API's {@code output_format}. */
public enum OutputFormat {
    PNG("png", "image/png"),
    JPEG("jpeg", "image/jpeg");

    private final String imageIoName;
    private final String contentType;

    OutputFormat(String imageIoName, String contentType) {
        this.imageIoName = imageIoName;
        this.contentType = contentType;
    }

    public String imageIoName() {
        return imageIoName;
    }

    public String contentType() {
        return contentType;
    }

    /** {@code png}, {@code jpeg} or {@code jpg}, any case; null means the BFL default, JPEG. */
    public static OutputFormat parse(String value) {
        if (value == null || value.isBlank()) {
            return JPEG;
        }
        return switch (value.strip().toLowerCase(Locale.ROOT)) {
            case "png" -> PNG;
            case "jpeg", "jpg" -> JPEG;
            default -> throw new IllegalArgumentException("Unknown output format '" + value + "'; use png or jpeg");
        };
    }
}
