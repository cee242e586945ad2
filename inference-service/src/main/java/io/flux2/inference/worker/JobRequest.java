package io.flux2.inference.worker;

import java.util.List;

/**
 * job-service's {@code GenerationRequest}, copied rather than shared (service-conventions.md). Nullable
 * fields fall back to the package's defaults; without width and height, a request with references takes the
 * last reference's processed size. {@code references} are asset ids of reference images, in order.
 */
public record JobRequest(String prompt, Integer width, Integer height, Long seed, Integer steps, Double guidance,
        String outputFormat, Integer safetyTolerance, List<String> references) {

    public JobRequest {
        references = references == null ? List.of() : List.copyOf(references);
    }
}
