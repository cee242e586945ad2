package io.flux2.assets;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Optional;

/**
 * The image types the platform stores. The declared content type must agree with the bytes' own magic
 * number, since the content type is what every later reader (the model, a browser) will trust.
 */
public enum ImageType {
    PNG("image/png", "png"),
    JPEG("image/jpeg", "jpg"),
    WEBP("image/webp", "webp");

    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    private static final byte[] JPEG_SIGNATURE = {(byte) 0xFF, (byte) 0xD8, (byte) 0xFF};
    private static final byte[] RIFF = "RIFF".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] WEBP_TAG = "WEBP".getBytes(StandardCharsets.US_ASCII);

    private final String contentType;
    private final String extension;

    ImageType(String contentType, String extension) {
        this.contentType = contentType;
        this.extension = extension;
    }

    public String contentType() {
        return contentType;
    }

    public String extension() {
        return extension;
    }

    /** @param contentType type and subtype only, without parameters */
    public static Optional<ImageType> ofContentType(String contentType) {
        return Arrays.stream(values()).filter(type -> type.contentType.equalsIgnoreCase(contentType)).findFirst();
    }

    public boolean matches(byte[] bytes) {
        return switch (this) {
            case PNG -> startsWith(bytes, 0, PNG_SIGNATURE);
            case JPEG -> startsWith(bytes, 0, JPEG_SIGNATURE);
            case WEBP -> startsWith(bytes, 0, RIFF) && startsWith(bytes, 8, WEBP_TAG);
        };
    }

    private static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
        return bytes.length >= offset + prefix.length
                && Arrays.equals(bytes, offset, offset + prefix.length, prefix, 0, prefix.length);
    }
}
