package io.flux2.inference.pipeline;

import java.util.List;

/**
 * One generation, with the package's defaults already filled in for steps and guidance.
 *
 * @param prompt     the user's prompt, before the package's prompt template
 * @param width      output width in pixels, a multiple of 16; null: the last reference's processed width
 * @param height     output height in pixels, a multiple of 16; null: the last reference's processed height
 * @param steps      denoising steps
 * @param guidance   distilled guidance (dev) or CFG scale (klein-base); klein graphs ignore it
 * @param seed       seed of the initial noise (its low 32 bits, as in torch; see {@link TorchCpuNoise})
 * @param references decoded reference images in request order (editing); empty for text-to-image
 */
public record GenerationRequest(String prompt, Integer width, Integer height, int steps, double guidance, long seed,
        List<ReferenceImage> references) {

    public GenerationRequest {
        references = references == null ? List.of() : List.copyOf(references);
    }

    /** Text-to-image at a given size. */
    public GenerationRequest(String prompt, int width, int height, int steps, double guidance, long seed) {
        this(prompt, width, height, steps, guidance, seed, List.of());
    }
}
