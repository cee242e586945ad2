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
import org.w3c.dom.Node;

/**
 * PNG and JPEG through ImageIO, each marked as AI-generated with the model's name: PNG tEXt chunks
 * (Software, Source, Description), a JPEG COM segment. This is a plain disclosure, not C2PA provenance.
 */
public final class ImageEncoder {

    static final String SOFTWARE = "flux2-platform inference-service";
    private static final String PNG_METADATA = "javax_imageio_png_1.0";
    private static final String JPEG_METADATA = "javax_imageio_jpeg_image_1.0";

    private final float jpegQuality;

    public ImageEncoder(double jpegQuality) {
        if (jpegQuality <= 0 || jpegQuality > 1) {
            throw new IllegalArgumentException("JPEG quality must be in (0, 1], was " + jpegQuality);
        }
        this.jpegQuality = (float) jpegQuality;
    }

    public static String disclosure(String modelName) {
        return "AI-generated image; model: FLUX.2 " + modelName;
    }

    public EncodedImage encode(BufferedImage image, OutputFormat format, String modelName) {
        ImageWriter writer = writerFor(format);
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (format == OutputFormat.JPEG) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                param.setCompressionQuality(jpegQuality);
            }
            IIOMetadata metadata = writer.getDefaultImageMetadata(ImageTypeSpecifier.createFromRenderedImage(image),
                    param);
            if (format == OutputFormat.PNG) {
                markPng(metadata, modelName);
            } else {
                markJpeg(metadata, modelName);
            }
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
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format.imageIoName());
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

    private static void markJpeg(IIOMetadata metadata, String modelName) throws IIOInvalidTreeException {
        Node root = metadata.getAsTree(JPEG_METADATA);
        for (Node child = root.getFirstChild(); child != null; child = child.getNextSibling()) {
            if ("markerSequence".equals(child.getNodeName())) {
                IIOMetadataNode comment = new IIOMetadataNode("com");
                comment.setAttribute("comment", disclosure(modelName));
                child.appendChild(comment);
            }
        }
        metadata.setFromTree(JPEG_METADATA, root);
    }
}
