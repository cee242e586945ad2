package io.flux2.gateway.upstream;

import java.util.List;

/**
 * The recipe of one image: job-service's {@code GenerationRequest}. Every field is resolved by the gateway
 * before the job is created (a missing seed is drawn, a size is taken from the last reference), so a job
 * always carries what it takes to reproduce it. Boxed types only because jobs read back from job-service
 * may predate a field.
 *
 * @param references asset ids of the reference images, in the order the model sees them
 */
public record GenerationRequest(
        String prompt,
        Integer width,
        Integer height,
        Long seed,
        Integer steps,
        Double guidance,
        String outputFormat,
        Integer safetyTolerance,
        List<String> references,
        Boolean promptUpsampling) {

    public GenerationRequest withSize(int newWidth, int newHeight) {
        return new GenerationRequest(prompt, newWidth, newHeight, seed, steps, guidance, outputFormat,
                safetyTolerance, references, promptUpsampling);
    }

    public GenerationRequest withReferences(List<String> assetIds) {
        return new GenerationRequest(prompt, width, height, seed, steps, guidance, outputFormat, safetyTolerance,
                List.copyOf(assetIds), promptUpsampling);
    }
}
