package io.flux2.inference.output;

import io.flux2.inference.pipeline.DecodedImage;
import java.awt.image.BufferedImage;

/**
 * Decoded float image to 8-bit RGB: {@code pixel = round(127.5 * (clamp(x, -1, 1) + 1))}. This is diffusers'
 * {@code (x/2 + 0.5).clamp(0, 1) * 255} rounded; BFL's CLI truncates instead, which darkens every value by half
 * a level on average (research/flux2-model.md 5, "Final decode"). Rounding it is.
 */
public final class PixelConverter {

    private PixelConverter() {
    }

    public static int toByte(float value) {
        float clamped = Math.max(-1f, Math.min(1f, value));
        return Math.round(127.5f * (clamped + 1f));
    }

    public static BufferedImage toRgb(DecodedImage image) {
        int width = image.width();
        int height = image.height();
        int plane = width * height;
        float[] chw = image.chw();
        int[] rgb = new int[plane];
        for (int i = 0; i < plane; i++) {
            rgb[i] = toByte(chw[i]) << 16 | toByte(chw[plane + i]) << 8 | toByte(chw[2 * plane + i]);
        }
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        out.setRGB(0, 0, width, height, rgb, 0, width);
        return out;
    }
}
