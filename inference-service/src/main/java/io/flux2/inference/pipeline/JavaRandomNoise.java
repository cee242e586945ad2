package io.flux2.inference.pipeline;

import java.util.Random;

/**
 * Noise from {@link java.util.Random#nextGaussian()}: its algorithm (48-bit LCG, Marsaglia polar method) is
 * fixed by the Java SE specification, so a seed gives the same image on every JVM and machine. It does not
 * match torch's generators; FLUX.2's own CLI draws on CUDA, which no CPU source matches anyway.
 */
public final class JavaRandomNoise implements NoiseSource {

    @Override
    public float[] sample(long seed, int channels, int rows, int cols) {
        Random random = new Random(seed);
        float[] out = new float[Math.multiplyExact(Math.multiplyExact(channels, rows), cols)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) random.nextGaussian();
        }
        return out;
    }
}
