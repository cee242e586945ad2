package io.flux2.inference.pipeline;

/**
 * What the pipeline refuses to run. The gateway validates and floors sizes for users; this is the last line
 * so a bad lease fails with a message instead of a native crash or an out-of-memory.
 *
 * @param minSide       smallest width or height
 * @param maxSteps      most steps
 * @param maxMegapixels most width x height, in 2^20 pixels (2048x2048 = 4)
 */
public record GenerationLimits(int minSide, int maxSteps, double maxMegapixels) {

    static final int MULTIPLE = TokenGrid.PIXELS_PER_TOKEN;
    private static final double PIXELS_PER_MEGAPIXEL = 1 << 20;

    public void check(GenerationRequest request) {
        if (request.prompt() == null) {
            throw new InvalidGenerationException("prompt", "prompt is required");
        }
        checkSide("width", request.width());
        checkSide("height", request.height());
        double megapixels = (double) request.width() * request.height() / PIXELS_PER_MEGAPIXEL;
        if (megapixels > maxMegapixels) {
            throw new InvalidGenerationException("width", String.format(java.util.Locale.ROOT,
                    "%dx%d is %.2f megapixels; at most %.2f megapixels (of 2^20 pixels) are allowed",
                    request.width(), request.height(), megapixels, maxMegapixels));
        }
        if (request.steps() < 1 || request.steps() > maxSteps) {
            throw new InvalidGenerationException("steps",
                    "steps must be between 1 and " + maxSteps + ", was " + request.steps());
        }
        if (!Double.isFinite(request.guidance()) || request.guidance() < 0) {
            throw new InvalidGenerationException("guidance",
                    "guidance must be a finite number >= 0, was " + request.guidance());
        }
    }

    private void checkSide(String field, int value) {
        if (value < minSide) {
            throw new InvalidGenerationException(field, field + " must be at least " + minSide + ", was " + value);
        }
        if (value % MULTIPLE != 0) {
            throw new InvalidGenerationException(field,
                    field + " must be a multiple of " + MULTIPLE + ", was " + value);
        }
    }
}
