package io.flux2.inference.pipeline;

/**
 * Lanczos-3 resampling of 8-bit RGB written after Pillow's {@code Resample.c} (the filter behind
 * {@code Image.resize(size, Image.LANCZOS)}, which the reference pipeline uses): a separable convolution whose
 * support grows with the downscale factor, coefficients computed in double, normalised to sum 1, converted to
 * 22-bit fixed point; a horizontal pass over the rows the vertical pass needs, rounded and clipped to 8 bits,
 * then the vertical pass. Following the same integer arithmetic, it gives PIL's bytes except where the double
 * {@code sin} of the JDK and of the C library differ in the last bit right at a rounding edge of a coefficient;
 * parity tests therefore feed references that need no resize.
 */
final class LanczosResize {

    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 3.0;

    private LanczosResize() {
    }

    static ReferenceImage resize(ReferenceImage in, int outWidth, int outHeight) {
        if (outWidth < 1 || outHeight < 1) {
            throw new IllegalArgumentException("Cannot resize to " + outWidth + "x" + outHeight);
        }
        Coefficients horizontal = Coefficients.of(in.width(), outWidth);
        Coefficients vertical = Coefficients.of(in.height(), outHeight);
        boolean needHorizontal = outWidth != in.width();
        boolean needVertical = outHeight != in.height();
        // rows of the input the vertical pass reads
        int firstRow = vertical.bounds[0];
        int lastRow = vertical.bounds[2 * outHeight - 2] + vertical.bounds[2 * outHeight - 1];

        byte[] src = in.rgb();
        int srcWidth = in.width();
        int rowOffset = 0;
        int rows = in.height();
        if (needHorizontal) {
            rows = lastRow - firstRow;
            byte[] tmp = new byte[rows * outWidth * 3];
            for (int y = 0; y < rows; y++) {
                int inRow = (y + firstRow) * srcWidth * 3;
                int outRow = y * outWidth * 3;
                for (int x = 0; x < outWidth; x++) {
                    int min = horizontal.bounds[2 * x];
                    int count = horizontal.bounds[2 * x + 1];
                    int k = x * horizontal.size;
                    int r = 1 << (PRECISION_BITS - 1);
                    int g = r;
                    int b = r;
                    for (int i = 0; i < count; i++) {
                        int at = inRow + (min + i) * 3;
                        int weight = horizontal.fixed[k + i];
                        r += (src[at] & 0xFF) * weight;
                        g += (src[at + 1] & 0xFF) * weight;
                        b += (src[at + 2] & 0xFF) * weight;
                    }
                    tmp[outRow + x * 3] = clip8(r);
                    tmp[outRow + x * 3 + 1] = clip8(g);
                    tmp[outRow + x * 3 + 2] = clip8(b);
                }
            }
            src = tmp;
            srcWidth = outWidth;
            rowOffset = firstRow;
        }
        if (!needVertical) {
            if (needHorizontal && rows != outHeight) {
                throw new IllegalStateException("horizontal pass kept " + rows + " rows, expected " + outHeight);
            }
            return new ReferenceImage(outWidth, outHeight, src);
        }
        byte[] out = new byte[outWidth * outHeight * 3];
        for (int y = 0; y < outHeight; y++) {
            int min = vertical.bounds[2 * y] - rowOffset;
            int count = vertical.bounds[2 * y + 1];
            int k = y * vertical.size;
            for (int x = 0; x < outWidth; x++) {
                int r = 1 << (PRECISION_BITS - 1);
                int g = r;
                int b = r;
                for (int i = 0; i < count; i++) {
                    int at = ((min + i) * srcWidth + x) * 3;
                    int weight = vertical.fixed[k + i];
                    r += (src[at] & 0xFF) * weight;
                    g += (src[at + 1] & 0xFF) * weight;
                    b += (src[at + 2] & 0xFF) * weight;
                }
                int o = (y * outWidth + x) * 3;
                out[o] = clip8(r);
                out[o + 1] = clip8(g);
                out[o + 2] = clip8(b);
            }
        }
        return new ReferenceImage(outWidth, outHeight, out);
    }

    private static byte clip8(int value) {
        if (value >= (1 << PRECISION_BITS << 8)) {
            return (byte) 255;
        }
        if (value <= 0) {
            return 0;
        }
        return (byte) (value >> PRECISION_BITS);
    }

    private static double sinc(double x) {
        if (x == 0.0) {
            return 1.0;
        }
        double px = x * Math.PI;
        return StrictMath.sin(px) / px;
    }

    private static double lanczos(double x) {
        return -3.0 <= x && x < 3.0 ? sinc(x) * sinc(x / 3.0) : 0.0;
    }

    /** Pillow's {@code precompute_coeffs} + {@code normalize_coeffs_8bpc} for one axis. */
    private record Coefficients(int size, int[] bounds, int[] fixed) {

        static Coefficients of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            int size = (int) Math.ceil(support) * 2 + 1;
            int[] bounds = new int[2 * outSize];
            double[] weights = new double[outSize * size];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double inverse = 1.0 / filterScale;
                int min = Math.max((int) (center - support + 0.5), 0);
                int max = Math.min((int) (center + support + 0.5), inSize) - min;
                double total = 0.0;
                int k = xx * size;
                for (int x = 0; x < max; x++) {
                    double w = lanczos((x + min - center + 0.5) * inverse);
                    weights[k + x] = w;
                    total += w;
                }
                if (total != 0.0) {
                    for (int x = 0; x < max; x++) {
                        weights[k + x] /= total;
                    }
                }
                bounds[2 * xx] = min;
                bounds[2 * xx + 1] = max;
            }
            int[] fixed = new int[weights.length];
            for (int i = 0; i < weights.length; i++) {
                double w = weights[i] * (1 << PRECISION_BITS);
                fixed[i] = (int) (weights[i] < 0 ? -0.5 + w : 0.5 + w);
            }
            return new Coefficients(size, bounds, fixed);
        }
    }
}
