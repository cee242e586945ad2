package io.flux2.inference.pipeline;

import java.awt.image.BufferedImage;
import java.awt.image.DataBuffer;
import java.awt.image.Raster;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import javax.imageio.ImageIO;

/**
 * A decoded reference image: 8-bit RGB, row-major, interleaved ({@code rgb[(y * width + x) * 3 + c]}), before
 * any preprocessing. Alpha is dropped without compositing, as PIL's {@code convert("RGB")} does.
 */
public record ReferenceImage(int width, int height, byte[] rgb) {

    public ReferenceImage {
        if (width < 1 || height < 1) {
            throw new IllegalArgumentException("A reference image needs at least one pixel, was " + width + "x"
                    + height);
        }
        if (rgb.length != 3L * width * height) {
            throw new IllegalArgumentException("Expected " + 3L * width * height + " RGB bytes, got " + rgb.length);
        }
    }

    /**
     * Decodes PNG, JPEG, GIF or BMP bytes with ImageIO.
     *
     * @throws IllegalArgumentException when ImageIO cannot read them
     */
    public static ReferenceImage decode(byte[] bytes) {
        BufferedImage image;
        try {
            image = ImageIO.read(new ByteArrayInputStream(bytes));
        } catch (IOException | RuntimeException e) {
            throw new IllegalArgumentException("not a readable image (" + e.getMessage() + ")", e);
        }
        if (image == null) {
            throw new IllegalArgumentException("not an image format this service reads (PNG, JPEG, GIF, BMP)");
        }
        return of(image);
    }

    /**
     * The RGB bytes of a decoded image. 8-bit gray, gray+alpha, RGB and RGBA rasters are read sample by sample, so
     * no colour-space conversion touches the values (ImageIO gives 8-bit gray a linear colour space, which
     * {@link BufferedImage#getRGB} would convert); anything else (palette, 16-bit) goes through {@code getRGB}.
     */
    public static ReferenceImage of(BufferedImage image) {
        int width = image.getWidth();
        int height = image.getHeight();
        byte[] rgb = new byte[Math.multiplyExact(Math.multiplyExact(width, height), 3)];
        Raster raster = image.getRaster();
        int bands = raster.getNumBands();
        boolean plain8Bit = image.getColorModel().getTransferType() == DataBuffer.TYPE_BYTE
                && image.getColorModel().getPixelSize() == 8 * bands
                && image.getColorModel().getColorSpace().getNumComponents() == (bands >= 3 ? 3 : 1)
                && !(image.getColorModel() instanceof java.awt.image.IndexColorModel);
        if (plain8Bit && bands >= 1 && bands <= 4) {
            int[] row = new int[width * bands];
            for (int y = 0; y < height; y++) {
                raster.getPixels(0, y, width, 1, row);
                int out = y * width * 3;
                for (int x = 0; x < width; x++) {
                    int at = x * bands;
                    if (bands >= 3) {
                        rgb[out++] = (byte) row[at];
                        rgb[out++] = (byte) row[at + 1];
                        rgb[out++] = (byte) row[at + 2];
                    } else {
                        byte gray = (byte) row[at];
                        rgb[out++] = gray;
                        rgb[out++] = gray;
                        rgb[out++] = gray;
                    }
                }
            }
        } else {
            int[] row = new int[width];
            for (int y = 0; y < height; y++) {
                image.getRGB(0, y, width, 1, row, 0, width);
                int out = y * width * 3;
                for (int x = 0; x < width; x++) {
                    int argb = row[x];
                    rgb[out++] = (byte) (argb >> 16);
                    rgb[out++] = (byte) (argb >> 8);
                    rgb[out++] = (byte) argb;
                }
            }
        }
        return new ReferenceImage(width, height, rgb);
    }

    /** The red, green or blue value (0..255) at (x, y). */
    public int sample(int x, int y, int channel) {
        return rgb[(y * width + x) * 3 + channel] & 0xFF;
    }

    @Override
    public String toString() {
        return "ReferenceImage[" + width + "x" + height + "]";
    }
}
