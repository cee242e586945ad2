package io.flux2.inference.pipeline;

/**
 * One text-to-image generation, with every default already filled in.
 *
 * @param prompt   the user's prompt, before the package's prompt template
 * @param width    output width in pixels, a multiple of 16
 * @param height   output height in pixels, a multiple of 16
 * @param steps    denoising steps
 * @param guidance distilled guidance (dev) or CFG scale (klein-base); klein graphs ignore it
 * @param seed     seed of the initial noise
 */
public record GenerationRequest(String prompt, int width, int height, int steps, double guidance, long seed) {
}
