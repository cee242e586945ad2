package io.flux2.inference.pipeline;

import java.util.Arrays;

/**
 * The FLUX.2 noise schedule (research/flux2-model.md section 5; official {@code get_schedule} with
 * {@code compute_empirical_mu}): a resolution- and step-dependent shift mu, then
 * {@code sigma_i = e^mu / (e^mu + (1/tau_i - 1))} for {@code tau_i = 1 - i/N}, ending in exactly 0.
 * Computed in double like the Python reference; the loop hands float32 values to the graphs.
 */
public final class SigmaSchedule {

    static final double A1 = 8.73809524e-05;
    static final double B1 = 1.89833333;
    static final double A2 = 0.00016927;
    static final double B2 = 0.45666666;
    /** Above this many image tokens mu no longer depends on the step count. */
    static final int LARGE_IMAGE_TOKENS = 4300;

    private final double mu;
    private final double[] sigmas;

    private SigmaSchedule(double mu, double[] sigmas) {
        this.mu = mu;
        this.sigmas = sigmas;
    }

    /** The schedule for {@code steps} steps over an image of {@code imageTokens} = (H/16)(W/16) tokens. */
    public static SigmaSchedule of(int imageTokens, int steps) {
        if (steps < 1) {
            throw new IllegalArgumentException("steps must be at least 1, was " + steps);
        }
        if (imageTokens < 1) {
            throw new IllegalArgumentException("imageTokens must be at least 1, was " + imageTokens);
        }
        double mu = empiricalMu(imageTokens, steps);
        double shift = Math.exp(mu);
        double[] sigmas = new double[steps + 1];
        for (int i = 0; i <= steps; i++) {
            double tau = 1.0 - (double) i / steps;
            // tau = 0 would divide by zero; the schedule ends at pure signal by definition.
            sigmas[i] = tau <= 0.0 ? 0.0 : shift / (shift + (1.0 / tau - 1.0));
        }
        return new SigmaSchedule(mu, sigmas);
    }

    /**
     * mu(S, N): a linear fit in S above {@value #LARGE_IMAGE_TOKENS} tokens; below it, linear interpolation in
     * N between the 10-step and the 200-step fits. The jump at S = 4300 is in the original and kept.
     */
    static double empiricalMu(int imageTokens, int steps) {
        double s = imageTokens;
        double m200 = A2 * s + B2;
        if (imageTokens > LARGE_IMAGE_TOKENS) {
            return m200;
        }
        double m10 = A1 * s + B1;
        double slope = (m200 - m10) / 190.0;
        return slope * steps + (m200 - 200.0 * slope);
    }

    public double mu() {
        return mu;
    }

    public int steps() {
        return sigmas.length - 1;
    }

    /** The N+1 sigmas, first 1, last 0. */
    public double[] sigmas() {
        return sigmas.clone();
    }

    /** Sigmas as handed to the transformer's {@code timesteps} input. */
    public float[] sigmasAsFloat() {
        float[] out = new float[sigmas.length];
        for (int i = 0; i < sigmas.length; i++) {
            out[i] = (float) sigmas[i];
        }
        return out;
    }

    /** Euler step sizes {@code sigma_{i+1} - sigma_i}, subtracted in double then rounded once to float32. */
    public float[] stepSizesAsFloat() {
        float[] out = new float[steps()];
        for (int i = 0; i < out.length; i++) {
            out[i] = (float) (sigmas[i + 1] - sigmas[i]);
        }
        return out;
    }

    @Override
    public String toString() {
        return "SigmaSchedule[mu=" + mu + ", sigmas=" + Arrays.toString(sigmas) + "]";
    }
}
