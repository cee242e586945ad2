package io.flux2.jobs;

import jakarta.validation.constraints.NotBlank;
import java.util.List;

/**
 * What to generate, as the gateway validated it against the tier. job-service reads only the prompt and
 * the safety tolerance (and steps, for billing a cancel); the rest travels to the inference pod untouched.
 */
public record GenerationRequest(
        @NotBlank String prompt,
        Integer width,
        Integer height,
        Long seed,
        Integer steps,
        Double guidance,
        String outputFormat,
        Integer safetyTolerance,
        List<String> references,
        Boolean promptUpsampling) {
}
