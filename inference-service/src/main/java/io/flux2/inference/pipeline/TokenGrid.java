package io.flux2.inference.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * The latent token grid of one image: {@code rows = H/16}, {@code cols = W/16}, one token per 16x16 pixel
 * patch, 128 channels each. Packing is row-major (token index = row * cols + col), and so are the ids
 * (research/flux2-model.md 2.4: image (0, row, col, 0), text (0, 0, 0, i)).
 */
public record TokenGrid(int rows, int cols) {

    public static final int CHANNELS = 128;
    public static final int PIXELS_PER_TOKEN = 16;
    /** Coordinates per token: (t, h, w, l). */
    public static final int ID_AXES = 4;

    public TokenGrid {
        if (rows < 1 || cols < 1) {
            throw new IllegalArgumentException("A token grid needs at least one row and column");
        }
    }

    public static TokenGrid forImage(int width, int height) {
        return new TokenGrid(height / PIXELS_PER_TOKEN, width / PIXELS_PER_TOKEN);
    }

    public int tokens() {
        return rows * cols;
    }

    /** {@code [1, 128, rows, cols]}, the noise and latent layout. */
    public Shape latentShape() {
        return new Shape(1, CHANNELS, rows, cols);
    }

    /** Target image position ids {@code [tokens, 4]} flattened: (0, row, col, 0) row-major. */
    public long[] imageIds() {
        return imageIds(0);
    }

    /** The time coordinate of reference k: 10 + 10k (research/flux2-model.md 2.4). */
    public static long referenceTime(int k) {
        return 10L + 10L * k;
    }

    /** Position ids {@code [tokens, 4]} flattened: (t, row, col, 0) row-major; rows and cols restart at 0. */
    public long[] imageIds(long t) {
        long[] ids = new long[tokens() * ID_AXES];
        for (int row = 0; row < rows; row++) {
            for (int col = 0; col < cols; col++) {
                int at = (row * cols + col) * ID_AXES;
                ids[at] = t;
                ids[at + 1] = row;
                ids[at + 2] = col;
            }
        }
        return ids;
    }

    /** Text position ids {@code [length, 4]} flattened: (0, 0, 0, i). */
    public static long[] textIds(int length) {
        long[] ids = new long[length * ID_AXES];
        for (int i = 0; i < length; i++) {
            ids[i * ID_AXES + 3] = i;
        }
        return ids;
    }

    /** {@code [1, 128, rows, cols] -> [1, rows*cols, 128]}. */
    public NDArray pack(NDArray latent) {
        requireShape(latent, latentShape());
        return latent.reshape(1, CHANNELS, tokens()).transpose(0, 2, 1);
    }

    /** {@code [1, rows*cols, 128] -> [1, 128, rows, cols]}. */
    public NDArray unpack(NDArray tokens) {
        requireShape(tokens, new Shape(1, tokens(), CHANNELS));
        return tokens.transpose(0, 2, 1).reshape(latentShape());
    }

    private static void requireShape(NDArray array, Shape expected) {
        if (!array.getShape().equals(expected)) {
            throw new IllegalArgumentException("Expected shape " + expected + " but got " + array.getShape());
        }
    }
}
