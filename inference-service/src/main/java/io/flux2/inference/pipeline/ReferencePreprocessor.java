package io.flux2.inference.pipeline;

import java.util.Locale;

/**
 * Section 6 preprocessing of one reference, as {@code flux2_tools.reference.preprocess_reference} does it: reject a
 * side under {@code minSide} or an aspect ratio over {@code maxAspect}; if {@code w * h} exceeds the area cap
 * (by reference count), scale by {@code s = sqrt(limit / (w h))} to {@code floor(w s) x floor(h s)} with
 * {@link LanczosResize}; centre-crop to multiples of 16 ({@code left = (w - w16) / 2}); pixels
 * {@code float32(p) / 255 * 2 - 1} as {@code [3, H, W]} C-order.
 */
final class ReferencePreprocessor {

    private ReferencePreprocessor() {
    }

    /** A reference ready for the VAE encoder: {@code [1, 3, height, width]} in [-1, 1], sides multiples of 16. */
    record Prepared(int width, int height, float[] chw) {
    }

    /**
     * Checks a reference's size and returns {@code {width, height}} after the area cap and the crop, without
     * touching pixels.
     *
     * @param index its position in the request, for the message
     */
    static int[] processedSize(int width, int height, int index, int count, ReferenceRules rules) {
        check(width, height, index, rules);
        int[] capped = cappedSize(width, height, count, rules);
        return new int[] {floor16(capped[0]), floor16(capped[1])};
    }

    static Prepared prepare(ReferenceImage image, int index, int count, ReferenceRules rules) {
        int width = image.width();
        int height = image.height();
        check(width, height, index, rules);
        int[] capped = cappedSize(width, height, count, rules);
        ReferenceImage sized = capped[0] == width && capped[1] == height
                ? image
                : LanczosResize.resize(image, capped[0], capped[1]);
        int cropWidth = floor16(sized.width());
        int cropHeight = floor16(sized.height());
        int left = (sized.width() - cropWidth) / 2;
        int top = (sized.height() - cropHeight) / 2;
        int plane = cropWidth * cropHeight;
        float[] chw = new float[3 * plane];
        for (int y = 0; y < cropHeight; y++) {
            for (int x = 0; x < cropWidth; x++) {
                for (int c = 0; c < 3; c++) {
                    // float32 throughout, one operation at a time, like torch: p / 255 * 2 - 1
                    float p = sized.sample(left + x, top + y, c);
                    chw[c * plane + y * cropWidth + x] = p / 255.0f * 2.0f - 1.0f;
                }
            }
        }
        return new Prepared(cropWidth, cropHeight, chw);
    }

    private static void check(int width, int height, int index, ReferenceRules rules) {
        int shorter = Math.min(width, height);
        int longer = Math.max(width, height);
        if (shorter < rules.minSide()) {
            throw new InvalidGenerationException("references", String.format(Locale.ROOT,
                    "reference %d is %dx%d px: each side must be at least %d px", index, width, height,
                    rules.minSide()));
        }
        if ((double) longer / shorter > rules.maxAspect()) {
            throw new InvalidGenerationException("references", String.format(Locale.ROOT,
                    "reference %d is %dx%d px: its aspect ratio %.2f is over %s", index, width, height,
                    (double) longer / shorter, trim(rules.maxAspect())));
        }
    }

    /** {@code floor(w s) x floor(h s)} with {@code s = sqrt(limit / (w h))} when over the cap; in double as Python. */
    static int[] cappedSize(int width, int height, int count, ReferenceRules rules) {
        long limit = rules.areaLimit(count);
        long area = (long) width * height;
        if (area <= limit) {
            return new int[] {width, height};
        }
        double s = Math.sqrt((double) limit / (double) area);
        return new int[] {(int) Math.floor(width * s), (int) Math.floor(height * s)};
    }

    private static int floor16(int side) {
        return side - side % TokenGrid.PIXELS_PER_TOKEN;
    }

    private static String trim(double value) {
        return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
    }
}
