package io.flux2.assets.images;

import io.flux2.assets.AssetProperties;
import io.flux2.assets.ImageType;
import io.flux2.common.problem.ApiProblem;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageInputStream;
import javax.imageio.stream.ImageOutputStream;

/**
 * Decoding and encoding, with the inspector in front: nothing is decoded before its header passed the
 * limits, the decoder's own idea of the size must agree with the header, and at most
 * {@code maxConcurrentDecodes} images are in memory at once.
 *
 * <p>References are normalised: EXIF orientation applied, then re-encoded as PNG from the pixels alone, so
 * every piece of metadata (EXIF with GPS, XMP, ICC, comments, anything hidden in ancillary chunks) is gone,
 * and the sha256 of the result identifies the picture, not the file it came in.
 *
 * <p>Outputs are encoded as PNG, JPEG or WebP (libwebp through webp-imageio) with provenance written into
 * the file: an XMP packet (IPTC digital source type {@code trainedAlgorithmicMedia}, model, job id) in the
 * place each format reserves for it, plus {@code Software = "AI generated;flux2"} in PNG and a comment in
 * JPEG, the marker BFL's own CLI writes.
 */
public class ImageCodec {

    public static final String AI_MARKER = "AI generated;flux2";
    private static final String TRAINED_ALGORITHMIC_MEDIA =
            "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia";

    static {
        ImageIO.setUseCache(false);
        ImageIO.scanForPlugins();
    }

    private final ImageInspector inspector;
    private final Semaphore decodes;
    private final java.time.Duration decodeWait;

    public ImageCodec(AssetProperties.Images limits) {
        this.inspector = new ImageInspector(limits);
        this.decodes = new Semaphore(limits.maxConcurrentDecodes());
        this.decodeWait = limits.decodeWait();
    }

    public ImageInspector inspector() {
        return inspector;
    }

    /** A normalised reference: PNG bytes without metadata, and its size. */
    public record Normalized(byte[] png, int width, int height, ImageType sourceType) {
    }

    /** Who made an output, written into the file. */
    public record Provenance(String model, String jobId) {
    }

    public Normalized normalize(byte[] bytes) {
        ImageInspector.Header header = inspector.inspect(bytes);
        return withPermit(() -> {
            BufferedImage image = ExifOrientation.apply(decode(bytes, header), header.orientation());
            return new Normalized(png(image), image.getWidth(), image.getHeight(), header.type());
        });
    }

    /** Decodes any accepted image and encodes it as {@code type} with provenance. */
    public Encoded encodeOutput(byte[] bytes, ImageType type, Provenance provenance) {
        ImageInspector.Header header = inspector.inspect(bytes);
        return withPermit(() -> {
            BufferedImage image = ExifOrientation.apply(decode(bytes, header), header.orientation());
            byte[] out = switch (type) {
                case PNG -> withPngProvenance(png(image), provenance);
                case JPEG -> withJpegProvenance(jpeg(image), provenance);
                case WEBP -> withWebpProvenance(webp(image), provenance, image.getWidth(), image.getHeight());
            };
            return new Encoded(out, type, image.getWidth(), image.getHeight());
        });
    }

    public record Encoded(byte[] bytes, ImageType type, int width, int height) {
    }

    BufferedImage decode(byte[] bytes, ImageInspector.Header header) {
        Iterator<ImageReader> readers = ImageIO.getImageReadersByMIMEType(header.type().contentType());
        if (!readers.hasNext()) {
            throw ApiProblem.invalidField("body", header.type().contentType() + " images cannot be decoded here");
        }
        ImageReader reader = readers.next();
        try (ImageInputStream in = ImageIO.createImageInputStream(new ByteArrayInputStream(bytes))) {
            reader.setInput(in, true, true);
            // The decoder's own reading of the size, before it allocates anything, must match the header.
            int width = reader.getWidth(0);
            int height = reader.getHeight(0);
            if (width != header.width() || height != header.height()) {
                throw ApiProblem.invalidField("body", "The image header is inconsistent");
            }
            BufferedImage image = reader.read(0);
            return toRgb(image);
        } catch (IOException | RuntimeException e) {
            if (e instanceof ApiProblem problem) {
                throw problem;
            }
            throw ApiProblem.invalidField("body", "The image could not be decoded");
        } finally {
            reader.dispose();
        }
    }

    private static BufferedImage toRgb(BufferedImage image) {
        boolean alpha = image.getColorModel().hasAlpha();
        int type = alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB;
        if (image.getType() == type) {
            return image;
        }
        BufferedImage out = new BufferedImage(image.getWidth(), image.getHeight(), type);
        Graphics2D g = out.createGraphics();
        try {
            g.drawImage(image, 0, 0, null);
        } finally {
            g.dispose();
        }
        return out;
    }

    private <T> T withPermit(java.util.function.Supplier<T> work) {
        boolean acquired;
        try {
            acquired = decodes.tryAcquire(decodeWait.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw ApiProblem.unavailable("Interrupted while waiting to decode", 1);
        }
        if (!acquired) {
            throw ApiProblem.unavailable("Too many images are being decoded; try again", 2);
        }
        try {
            return work.get();
        } finally {
            decodes.release();
        }
    }

    // --- encoders ----------------------------------------------------------------------------------------

    static byte[] png(BufferedImage image) {
        return write(image, "png", null);
    }

    static byte[] jpeg(BufferedImage image) {
        BufferedImage rgb = image;
        if (image.getColorModel().hasAlpha()) {
            rgb = new BufferedImage(image.getWidth(), image.getHeight(), BufferedImage.TYPE_INT_RGB);
            Graphics2D g = rgb.createGraphics();
            try {
                g.setColor(java.awt.Color.WHITE);
                g.fillRect(0, 0, image.getWidth(), image.getHeight());
                g.drawImage(image, 0, 0, null);
            } finally {
                g.dispose();
            }
        }
        return write(rgb, "jpeg", 0.92f);
    }

    static byte[] webp(BufferedImage image) {
        return write(image, "webp", 0.9f);
    }

    private static byte[] write(BufferedImage image, String format, Float quality) {
        Iterator<ImageWriter> writers = ImageIO.getImageWritersByFormatName(format);
        if (!writers.hasNext()) {
            throw new IllegalStateException("No ImageIO writer for " + format);
        }
        ImageWriter writer = writers.next();
        try (ByteArrayOutputStream bytes = new ByteArrayOutputStream();
                ImageOutputStream out = ImageIO.createImageOutputStream(bytes)) {
            writer.setOutput(out);
            ImageWriteParam param = writer.getDefaultWriteParam();
            if (quality != null && param.canWriteCompressed()) {
                param.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                String[] types = param.getCompressionTypes();
                if (types != null && types.length > 0) {
                    String lossy = java.util.Arrays.stream(types)
                            .filter(t -> t.toLowerCase(java.util.Locale.ROOT).contains("lossy")).findFirst()
                            .orElse(types[0]);
                    param.setCompressionType(lossy);
                }
                param.setCompressionQuality(quality);
            }
            writer.write(null, new IIOImage(image, null, null), param);
            out.flush();
            return bytes.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            writer.dispose();
        }
    }

    // --- provenance --------------------------------------------------------------------------------------

    static String xmp(Provenance p) {
        return "<?xpacket begin=\"\uFEFF\" id=\"W5M0MpCehiHzreSzNTczkc9d\"?>"
                + "<x:xmpmeta xmlns:x=\"adobe:ns:meta/\"><rdf:RDF xmlns:rdf=\"http://www.w3.org/1999/02/22-rdf-syntax-ns#\">"
                + "<rdf:Description rdf:about=\"\""
                + " xmlns:Iptc4xmpExt=\"http://iptc.org/std/Iptc4xmpExt/2008-02-29/\""
                + " xmlns:xmp=\"http://ns.adobe.com/xap/1.0/\""
                + " xmlns:flux2=\"https://github.com/flux2-platform/ns/provenance/1.0/\""
                + " Iptc4xmpExt:DigitalSourceType=\"" + TRAINED_ALGORITHMIC_MEDIA + "\""
                + " xmp:CreatorTool=\"flux2-platform\""
                + " flux2:AIGenerated=\"true\""
                + " flux2:Model=\"" + escape(p.model()) + "\""
                + " flux2:JobId=\"" + escape(p.jobId()) + "\"/>"
                + "</rdf:RDF></x:xmpmeta><?xpacket end=\"r\"?>";
    }

    private static String escape(String value) {
        if (value == null) {
            return "";
        }
        return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }

    /** Adds iTXt {@code XML:com.adobe.xmp} and tEXt {@code Software} right after IHDR. */
    static byte[] withPngProvenance(byte[] png, Provenance p) {
        int afterIhdr = 8 + 25;
        ByteArrayOutputStream out = new ByteArrayOutputStream(png.length + 1024);
        out.write(png, 0, afterIhdr);
        byte[] xmp = xmp(p).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream itxt = new ByteArrayOutputStream();
        itxt.writeBytes("XML:com.adobe.xmp".getBytes(StandardCharsets.ISO_8859_1));
        itxt.writeBytes(new byte[] {0, 0, 0, 0, 0}); // keyword end, not compressed, method, no language, no translation
        itxt.writeBytes(xmp);
        writeChunk(out, "iTXt", itxt.toByteArray());
        ByteArrayOutputStream text = new ByteArrayOutputStream();
        text.writeBytes("Software".getBytes(StandardCharsets.ISO_8859_1));
        text.write(0);
        text.writeBytes(AI_MARKER.getBytes(StandardCharsets.ISO_8859_1));
        writeChunk(out, "tEXt", text.toByteArray());
        out.write(png, afterIhdr, png.length - afterIhdr);
        return out.toByteArray();
    }

    private static void writeChunk(ByteArrayOutputStream out, String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
        writeU32be(out, data.length);
        out.writeBytes(typeBytes);
        out.writeBytes(data);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        writeU32be(out, crc.getValue());
    }

    /** Adds an APP1 XMP segment and a COM segment after SOI and any APP0 (JFIF). */
    static byte[] withJpegProvenance(byte[] jpeg, Provenance p) {
        int insertAt = 2;
        if ((jpeg[2] & 0xFF) == 0xFF && (jpeg[3] & 0xFF) == 0xE0) {
            insertAt = 4 + ImageInspector.u16be(jpeg, 4);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(jpeg.length + 1024);
        out.write(jpeg, 0, insertAt);
        byte[] ns = "http://ns.adobe.com/xap/1.0/\0".getBytes(StandardCharsets.ISO_8859_1);
        byte[] xmp = xmp(p).getBytes(StandardCharsets.UTF_8);
        out.write(0xFF);
        out.write(0xE1);
        int length = 2 + ns.length + xmp.length;
        out.write(length >> 8);
        out.write(length & 0xFF);
        out.writeBytes(ns);
        out.writeBytes(xmp);
        byte[] comment = AI_MARKER.getBytes(StandardCharsets.ISO_8859_1);
        out.write(0xFF);
        out.write(0xFE);
        out.write((comment.length + 2) >> 8);
        out.write((comment.length + 2) & 0xFF);
        out.writeBytes(comment);
        out.write(jpeg, insertAt, jpeg.length - insertAt);
        return out.toByteArray();
    }

    /** Rewrites a simple WebP as an extended one (VP8X) carrying an {@code XMP } chunk. */
    static byte[] withWebpProvenance(byte[] webp, Provenance p, int width, int height) {
        int pos = 12;
        ByteArrayOutputStream chunks = new ByteArrayOutputStream(webp.length + 1024);
        int flags = 0x04; // XMP
        while (pos + 8 <= webp.length) {
            String type = new String(webp, pos, 4, StandardCharsets.ISO_8859_1);
            int size = (int) ImageInspector.u32le(webp, pos + 4);
            int total = 8 + size + (size & 1);
            if (type.equals("VP8X")) {
                flags |= webp[pos + 8] & 0xFF;
            } else {
                if (type.equals("VP8L") && ((ImageInspector.u32le(webp, pos + 9) >> 28) & 1) == 1) {
                    flags |= 0x10; // alpha
                }
                if (type.equals("ALPH")) {
                    flags |= 0x10;
                }
                chunks.write(webp, pos, Math.min(total, webp.length - pos));
            }
            pos += total;
        }
        byte[] xmp = xmp(p).getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes("WEBP".getBytes(StandardCharsets.ISO_8859_1));
        body.writeBytes("VP8X".getBytes(StandardCharsets.ISO_8859_1));
        writeU32le(body, 10);
        body.write(flags);
        body.writeBytes(new byte[3]);
        writeU24le(body, width - 1);
        writeU24le(body, height - 1);
        body.writeBytes(chunks.toByteArray());
        body.writeBytes("XMP ".getBytes(StandardCharsets.ISO_8859_1));
        writeU32le(body, xmp.length);
        body.writeBytes(xmp);
        if ((xmp.length & 1) == 1) {
            body.write(0);
        }
        byte[] content = body.toByteArray();
        ByteArrayOutputStream out = new ByteArrayOutputStream(content.length + 8);
        out.writeBytes("RIFF".getBytes(StandardCharsets.ISO_8859_1));
        writeU32le(out, content.length);
        out.writeBytes(content);
        return out.toByteArray();
    }

    private static void writeU32be(ByteArrayOutputStream out, long v) {
        out.write((int) (v >>> 24) & 0xFF);
        out.write((int) (v >>> 16) & 0xFF);
        out.write((int) (v >>> 8) & 0xFF);
        out.write((int) v & 0xFF);
    }

    private static void writeU32le(ByteArrayOutputStream out, long v) {
        out.write((int) v & 0xFF);
        out.write((int) (v >>> 8) & 0xFF);
        out.write((int) (v >>> 16) & 0xFF);
        out.write((int) (v >>> 24) & 0xFF);
    }

    private static void writeU24le(ByteArrayOutputStream out, int v) {
        out.write(v & 0xFF);
        out.write((v >>> 8) & 0xFF);
        out.write((v >>> 16) & 0xFF);
    }
}
