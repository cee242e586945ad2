package io.flux2.inference.worker;

/**
 * job-service's {@code GenerationRequest}, copied rather than shared (service-conventions.md). Nullable
 * fields fall back to the package's defaults.
 */
public record JobRequest(String prompt, Integer width, Integer height, Long seed, Integer steps, Double guidance,
        String outputFormat, Integer safetyTolerance) {
}
