package io.flux2.inference.output;

/** An encoded image ready to upload. */
public record EncodedImage(byte[] bytes, String contentType, int width, int height) {
}
