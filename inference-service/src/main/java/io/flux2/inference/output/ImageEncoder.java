package io.flux2.inference.output;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Iterator;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOInvalidTreeException;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;

/**
 * The lossless PNG a worker hands to asset-service, marked as AI-generated with the model's name in tEXt
 * chunks (Software, Source, Description). asset-service encodes the delivered file in the requested format
 * and writes the provenance into it.
 */
public final class ImageEncoder {

    static final String SOFTWARE = "flux2-platform inference-service";
    private static final String PNG_METADATA = "javax_imageio_png_1.0";

    public static String disclosure(String modelName) {
        return "AI-generated image; model: FLUX.2 " + modelName;
    }

    public EncodedImage encodePng(BufferedImage image, String modelName) {
        OutputFormat format = OutputFormat.PNG;
        ImageWriter writer = writerFor(format);
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image),
                    param);
            markPng(metadata, modelName);
            writer.setOutput(out);
            writer.write(null, new IIOImage(image, null, metadata), param);
            out.flush();
            return new EncodedImage(bytes.toByteArray(), format.contentType(), image.getWidth(), image.getHeight());
        } catch (IOException e) {
            throw new UncheckedIOException("Encoding " + format + " failed", e);
        } finally {
            writer.dispose();
        }
    }

    private static ImageWriter writerFor(OutputFormat format) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format.formatName());
        if (!writers.hasNext()) {
            throw new IllegalStateException("No ImageIO writer for " + format);
        }
        return writers.next();
    }

    private static void markPng(IIOMetadata metadata, String modelName) throws IIOInvalidTreeException {
        IIOMetadataNode text = new IIOMetadataNode("tEXt");
        text.appendChild(pngText("Software", SOFTWARE));
        text.appendChild(pngText("Source", "FLUX.2 " + modelName));
        text.appendChild(pngText("Description", disclosure(modelName)));
        IIOMetadataNode root = new IIOMetadataNode(PNG_METADATA);
        root.appendChild(text);
        metadata.mergeTree(PNG_METADATA, root);
    }

    private static IIOMetadataNode pngText(String keyword, String value) {
        IIOMetadataNode entry = new IIOMetadataNode("tEXtEntry");
        entry.setAttribute("keyword", keyword);
        entry.setAttribute("value", value);
        return entry;
    }
}
