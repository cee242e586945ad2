package io.flux2.gateway.upstream;

/** The recipe of one image, fully resolved: job-service's {@code GenerationRequest}. */
public record GenerationRequest(
        String prompt,
        int width,
        int height,
        long seed,
        int steps,
        double guidance,
        String outputFormat,
        int safetyTolerance) {
}
