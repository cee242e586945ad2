package io.flux2.inference.pipeline;

/**
 * Where the initial noise comes from. Replaceable so a source bit-compatible with torch's generators can be
 * plugged in later without touching the pipeline.
 */
public interface NoiseSource {

    /**
     * Standard normal samples for a {@code [1, channels, rows, cols]} latent, C-order (channel, row, col).
     * The same seed must always give the same samples.
     */
    float[] sample(long seed, int channels, int rows, int cols);
}
