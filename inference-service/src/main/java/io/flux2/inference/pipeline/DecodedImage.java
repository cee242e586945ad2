package io.flux2.inference.pipeline;

/**
 * The VAE decoder's output before any clamping: {@code [3, height, width]} float32 in C-order, roughly in
 * [-1, 1]. Kept unclamped so it can be compared with the PyTorch reference value for value.
 */
public record DecodedImage(int width, int height, long seed, float[] chw) {

    public DecodedImage {
        if (chw.length != 3 * width * height) {
            throw new IllegalArgumentException("Expected " + 3 * width * height + " values, got " + chw.length);
        }
    }
}
