package io.flux2.inference.pipeline;

import io.flux2.common.units.Megapixels;
import java.util.Locale;

/**
 * What the pipeline refuses to run. The gateway validates and floors sizes for users; this is the last line
 * so a bad lease fails with a message instead of a native crash or an out-of-memory. All of it is configuration
 * ({@code flux.inference.limits.*}), none of it is fixed by the model.
 *
 * @param minSide       smallest width or height of the output
 * @param maxSteps      most steps
 * @param maxPixels     most width x height of the output (4194304 = 2048x2048, BFL's "4 MP")
 * @param maxReferences most reference images in one request
 * @param references    how references are checked and sized
 */
public record GenerationLimits(int minSide, int maxSteps, long maxPixels, int maxReferences,
        ReferenceRules references) {

    static final int MULTIPLE = TokenGrid.PIXELS_PER_TOKEN;
    public static final long DEFAULT_MAX_PIXELS = 2048L * 2048;

    public GenerationLimits {
        if (minSide < MULTIPLE || maxSteps < 1 || maxPixels < (long) minSide * minSide || maxReferences < 0) {
            throw new IllegalArgumentException("Generation limits out of range: min side " + minSide + ", max steps "
                    + maxSteps + ", max pixels " + maxPixels + ", max references " + maxReferences);
        }
        references = references == null ? ReferenceRules.FLUX2 : references;
    }

    /** Limits with the FLUX.2 reference rules and up to 10 references. */
    public GenerationLimits(int minSide, int maxSteps, long maxPixels) {
        this(minSide, maxSteps, maxPixels, 10, ReferenceRules.FLUX2);
    }

    /**
     * Checks everything about a request that needs no model: prompt, reference count and sizes, output size (from
     * the request or else the last reference), steps, guidance.
     *
     * @return the output size {@code {width, height}}
     */
    public int[] check(GenerationRequest request) {
        if (request.prompt() == null) {
            throw new InvalidGenerationException("prompt", "prompt is required");
        }
        int count = request.references().size();
        checkReferenceCount(count);
        int[] last = null;
        for (int i = 0; i < count; i++) {
            ReferenceImage reference = request.references().get(i);
            last = ReferencePreprocessor.processedSize(reference.width(), reference.height(), i, count, references);
        }
        int width = outputSide("width", request.width(), last == null ? null : last[0]);
        int height = outputSide("height", request.height(), last == null ? null : last[1]);
        checkSize(width, height);
        if (request.steps() < 1 || request.steps() > maxSteps) {
            throw new InvalidGenerationException("steps",
                    "steps must be between 1 and " + maxSteps + ", was " + request.steps());
        }
        if (!Double.isFinite(request.guidance()) || request.guidance() < 0) {
            throw new InvalidGenerationException("guidance",
                    "guidance must be a finite number >= 0, was " + request.guidance());
        }
        return new int[] {width, height};
    }

    /** Before anything is fetched or decoded: at most {@link #maxReferences()} references. */
    public void checkReferenceCount(int count) {
        if (count > maxReferences) {
            throw new InvalidGenerationException("references", "at most " + maxReferences
                    + " reference images are allowed, got " + count);
        }
    }

    /** Output size: multiples of 16, each side at least {@code minSide}, area at most {@code maxPixels}. */
    public void checkSize(int width, int height) {
        checkSide("width", width);
        checkSide("height", height);
        long pixels = (long) width * height;
        if (pixels > maxPixels) {
            throw new InvalidGenerationException("width", String.format(Locale.ROOT,
                    "%dx%d is %d pixels (%.2f MP); at most %d pixels (%.2f MP) are allowed", width, height, pixels,
                    Megapixels.of(width, height), maxPixels, maxPixels / (double) Megapixels.PIXELS));
        }
    }

    private static int outputSide(String field, Integer requested, Integer fromReference) {
        if (requested != null) {
            return requested;
        }
        if (fromReference != null) {
            return fromReference;
        }
        throw new InvalidGenerationException(field, field + " is required when there is no reference image");
    }

    private void checkSide(String field, int value) {
        if (value < minSide) {
            throw new InvalidGenerationException(field, field + " must be at least " + minSide + ", was " + value);
        }
        if (value % MULTIPLE != 0) {
            throw new InvalidGenerationException(field, field + " must be a multiple of " + MULTIPLE + ", was "
                    + value + " (" + (value - value % MULTIPLE) + " would do)");
        }
    }
}
