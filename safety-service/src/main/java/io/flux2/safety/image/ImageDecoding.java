package io.flux2.safety.image;

import io.flux2.common.problem.ApiProblem;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.stream.ImageInputStream;

/**
 * Decodes an image for a classifier without trusting it: the size is read from the header by the decoder
 * and checked against the pixel limit before any raster is allocated (decompression bombs).
 */
public final class ImageDecoding {

    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    private ImageDecoding() {
    }

    public static BufferedImage decode(byte[] bytes, ImageFormat format, long maxPixels) {
        String mime = switch (format) {
            case PNG -> "image/png";
            case JPEG -> "image/jpeg";
            case WEBP -> "image/webp";
        };
        Iterator<ImageReader> readers = ImageIO.getImageReadersByMIMEType(mime);
        if (!readers.hasNext()) {
            throw ApiProblem.invalidField("body", mime + " images cannot be decoded here");
        }
        ImageReader reader = readers.next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            long pixels = (long) reader.getWidth(0) * reader.getHeight(0);
            if (pixels > maxPixels || pixels < 1) {
                throw ApiProblem.outOfRange("body", maxPixels, "The image has " + pixels + " pixels; at most "
                        + maxPixels + " are checked");
            }
            return reader.read(0);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiProblem problem) {
                throw problem;
            }
            throw ApiProblem.invalidField("body", "The image could not be decoded");
        } finally {
            reader.dispose();
        }
    }

    /** Bilinear resize to exactly {@code width x height} RGB, halving first so large downscales do not alias. */
    public static BufferedImage resize(BufferedImage image, int width, int height) {
        BufferedImage current = image;
        while (current.getWidth() >= width * 2 && current.getHeight() >= height * 2) {
            current = draw(current, current.getWidth() / 2, current.getHeight() / 2);
        }
        return draw(current, width, height);
    }

    private static BufferedImage draw(BufferedImage image, int width, int height) {
        BufferedImage out = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = out.createGraphics();
        try {
            g.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
            g.setColor(java.awt.Color.WHITE);
            g.fillRect(0, 0, width, height);
            g.drawImage(image, 0, 0, width, height, null);
        } finally {
            g.dispose();
        }
        return out;
    }
}
