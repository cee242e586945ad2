package io.flux2.common.units;

/**
 * BFL's megapixel, 1024 x 1024 pixels, for limits, prices and usage alike. BFL's FLUX.2 text-to-image page answers
 * its own 1920x1080 [pro] request with {@code output_mp} 1.98 and {@code cost} 4.5 (3 for the first megapixel,
 * 1.5 for the second started one): 2,073,600 pixels are 1.98 megapixels of 2^20 pixels, but 2.07 of a million
 * (research/hosted-apis.md, docs.bfl.ai/flux_2/flux2_text_to_image). Its 4 MP limit is 2048 x 2048.
 */
public final class Megapixels {

    /** Pixels in one megapixel. */
    public static final long PIXELS = 1L << 20;

    private Megapixels() {
    }

    public static double of(long width, long height) {
        return (double) width * height / PIXELS;
    }

    /** A limit in megapixels as whole pixels, so 4 MP is exactly 2048 x 2048 whatever the rounding. */
    public static long toPixels(double megapixels) {
        return Math.round(megapixels * PIXELS);
    }
}
