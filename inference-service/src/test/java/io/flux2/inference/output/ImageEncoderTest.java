package io.flux2.inference.output;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.inference.pipeline.DecodedImage;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Node;

class ImageEncoderTest {

    private final ImageEncoder encoder = new ImageEncoder();

    @Test
    void convertsByClampingAndRounding() {
        assertThat(PixelConverter.toByte(-1f)).isZero();
        assertThat(PixelConverter.toByte(-3f)).isZero();
        assertThat(PixelConverter.toByte(1f)).isEqualTo(255);
        assertThat(PixelConverter.toByte(7f)).isEqualTo(255);
        assertThat(PixelConverter.toByte(0f)).isEqualTo(128);
        assertThat(PixelConverter.toByte(-0.5f)).isEqualTo(64);
    }

    @Test
    void laysOutChannelsAsRgb() {
        // 2x1 image: left pixel pure red, right pixel pure blue
        float[] chw = {1, -1, -1, -1, -1, 1};
        BufferedImage image = PixelConverter.toRgb(new DecodedImage(2, 1, 0, chw));
        assertThat(image.getRGB(0, 0) & 0xFFFFFF).isEqualTo(0xFF0000);
        assertThat(image.getRGB(1, 0) & 0xFFFFFF).isEqualTo(0x0000FF);
    }

    @Test
    void writesAMarkedPng() throws Exception {
        EncodedImage png = encoder.encodePng(gradient(), "tiny");
        assertThat(png.contentType()).isEqualTo("image/png");
        assertThat(new String(png.bytes(), 1, 3, StandardCharsets.US_ASCII)).isEqualTo("PNG");
        assertThat(ImageIO.read(new ByteArrayInputStream(png.bytes())).getWidth()).isEqualTo(64);
        String metadata = metadataText(png.bytes(), "javax_imageio_png_1.0");
        assertThat(metadata).contains("AI-generated image; model: FLUX.2 tiny").contains(ImageEncoder.SOFTWARE);
    }

    @Test
    void parsesFormats() {
        assertThat(OutputFormat.parse("PNG")).isEqualTo(OutputFormat.PNG);
        assertThat(OutputFormat.parse("jpg")).isEqualTo(OutputFormat.JPEG);
        assertThat(OutputFormat.parse("webp")).isEqualTo(OutputFormat.WEBP);
        assertThat(OutputFormat.parse(null)).isEqualTo(OutputFormat.JPEG);
    }

    private static BufferedImage gradient() {
        BufferedImage image = new BufferedImage(64, 32, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 64; x++) {
                image.setRGB(x, y, (x * 4) << 16 | (y * 8) << 8 | 128);
            }
        }
        return image;
    }

    private static String metadataText(byte[] bytes, String format) throws Exception {
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            ImageReader reader = ImageIO.getImageReaders(in).next();
            reader.setInput(in);
            IIOMetadata metadata = reader.getImageMetadata(0);
            StringBuilder text = new StringBuilder();
            collect(metadata.getAsTree(format), text);
            reader.dispose();
            return text.toString();
        }
    }

    private static void collect(Node node, StringBuilder text) {
        if (node.getAttributes() != null) {
            for (int i = 0; i < node.getAttributes().getLength(); i++) {
                text.append(node.getAttributes().item(i).getNodeValue()).append('\n');
            }
        }
        for (Node child = node.getFirstChild(); child != null; child = child.getNextSibling()) {
            collect(child, text);
        }
    }
}
