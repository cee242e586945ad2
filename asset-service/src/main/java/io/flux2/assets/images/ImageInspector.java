package io.flux2.assets.images;

import io.flux2.assets.AssetProperties;
import io.flux2.assets.ImageType;
import io.flux2.common.problem.ApiProblem;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.zip.CRC32;

/**
 * Reads what an image file says about itself without decoding a pixel: its type from the bytes (never from
 * a name or a declared type), its dimensions from the header, its EXIF orientation, and whether the file is
 * whole and alone: every PNG chunk in bounds with a good CRC up to IEND, every JPEG segment in bounds up to
 * EOI, the RIFF size of a WebP matching the file; more than a few bytes after the end marker means another
 * file rides along (a polyglot) and is refused. The limits on sides and pixels are checked here, before any
 * decoder allocates a raster (decompression bombs).
 */
public final class ImageInspector {

    private static final String FIELD = "body";
    private static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};

    private final AssetProperties.Images limits;

    public ImageInspector(AssetProperties.Images limits) {
        this.limits = limits;
    }

    /** What the header says. {@code orientation} is the EXIF value 1..8 (1: as stored). */
    public record Header(ImageType type, int width, int height, int orientation) {
        public long pixels() {
            return (long) width * height;
        }
    }

    public Header inspect(byte[] bytes) {
        Header header;
        if (startsWith(bytes, 0, PNG_SIGNATURE)) {
            header = png(bytes);
        } else if (bytes.length >= 3 && (bytes[0] & 0xFF) == 0xFF && (bytes[1] & 0xFF) == 0xD8
                && (bytes[2] & 0xFF) == 0xFF) {
            header = jpeg(bytes);
        } else if (startsWith(bytes, 0, ascii("RIFF")) && startsWith(bytes, 8, ascii("WEBP"))) {
            header = webp(bytes);
        } else {
            throw invalid("The body is not a PNG, JPEG or WebP image" + lookalike(bytes));
        }
        checkLimits(header);
        return header;
    }

    private void checkLimits(Header header) {
        if (header.width() < 1 || header.height() < 1) {
            throw invalid("The image has no pixels");
        }
        if (header.width() > limits.maxSide() || header.height() > limits.maxSide()) {
            throw ApiProblem.outOfRange(FIELD, limits.maxSide(), "The image is " + header.width() + "x"
                    + header.height() + "; each side must be at most " + limits.maxSide() + " pixels");
        }
        if (header.pixels() > limits.maxPixels()) {
            throw ApiProblem.outOfRange(FIELD, limits.maxPixels(), "The image has " + header.pixels()
                    + " pixels; at most " + limits.maxPixels() + " are accepted");
        }
    }

    // --- PNG -------------------------------------------------------------------------------------------

    private Header png(byte[] b) {
        int pos = 8;
        int width = -1;
        int height = -1;
        int orientation = 1;
        boolean sawData = false;
        boolean first = true;
        while (true) {
            if (pos + 12 > b.length) {
                throw truncated("PNG");
            }
            long length = u32be(b, pos);
            String type = new String(b, pos + 4, 4, StandardCharsets.ISO_8859_1);
            if (length > b.length - pos - 12L) {
                throw truncated("PNG");
            }
            int data = pos + 8;
            int end = data + (int) length;
            CRC32 crc = new CRC32();
            crc.update(b, pos + 4, 4 + (int) length);
            if (crc.getValue() != u32be(b, end)) {
                throw invalid("The PNG is damaged (chunk " + printable(type) + " fails its CRC)");
            }
            if (first) {
                if (!type.equals("IHDR") || length != 13) {
                    throw invalid("The PNG does not start with its header");
                }
                width = (int) Math.min(u32be(b, data), Integer.MAX_VALUE);
                height = (int) Math.min(u32be(b, data + 4), Integer.MAX_VALUE);
                first = false;
            } else if (type.equals("IDAT")) {
                sawData = true;
            } else if (type.equals("eXIf")) {
                orientation = ExifOrientation.fromTiff(b, data, (int) length);
            } else if (type.equals("IEND")) {
                if (!sawData) {
                    throw invalid("The PNG has no image data");
                }
                checkTrailing(b, end + 4, "PNG");
                return new Header(ImageType.PNG, width, height, orientation);
            }
            pos = end + 4;
        }
    }

    // --- JPEG ------------------------------------------------------------------------------------------

    private Header jpeg(byte[] b) {
        int pos = 2;
        int width = -1;
        int height = -1;
        int orientation = 1;
        while (true) {
            if (pos >= b.length) {
                throw truncated("JPEG");
            }
            if ((b[pos] & 0xFF) != 0xFF) {
                throw invalid("The JPEG is damaged (no marker where one is due)");
            }
            while (pos < b.length && (b[pos] & 0xFF) == 0xFF) {
                pos++; // fill bytes
            }
            if (pos >= b.length) {
                throw truncated("JPEG");
            }
            int marker = b[pos++] & 0xFF;
            if (marker == 0xD9) {
                if (width < 0) {
                    throw invalid("The JPEG has no frame header");
                }
                checkTrailing(b, pos, "JPEG");
                return new Header(ImageType.JPEG, width, height, orientation);
            }
            if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD7)) {
                continue;
            }
            if (marker == 0xD8 || marker == 0x00) {
                throw invalid("The JPEG is damaged (unexpected marker)");
            }
            if (pos + 2 > b.length) {
                throw truncated("JPEG");
            }
            int length = u16be(b, pos);
            if (length < 2 || pos + length > b.length) {
                throw truncated("JPEG");
            }
            int data = pos + 2;
            int segmentEnd = pos + length;
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                if (length < 8) {
                    throw invalid("The JPEG frame header is damaged");
                }
                height = u16be(b, data + 1);
                width = u16be(b, data + 3);
            } else if (marker == 0xE1 && length >= 8 && startsWith(b, data, ascii("Exif\0\0")) && orientation == 1) {
                orientation = ExifOrientation.fromTiff(b, data + 6, length - 8);
            }
            pos = segmentEnd;
            if (marker == 0xDA) {
                if (width < 0) {
                    throw invalid("The JPEG has scan data before its frame header");
                }
                // Entropy-coded data: runs until a marker other than a stuffed 0xFF00 or a restart marker.
                while (true) {
                    if (pos + 1 >= b.length) {
                        throw truncated("JPEG");
                    }
                    if ((b[pos] & 0xFF) == 0xFF) {
                        int next = b[pos + 1] & 0xFF;
                        if (next != 0x00 && next != 0xFF && !(next >= 0xD0 && next <= 0xD7)) {
                            break;
                        }
                    }
                    pos++;
                }
            }
        }
    }

    // --- WebP ------------------------------------------------------------------------------------------

    private Header webp(byte[] b) {
        if (b.length < 20) {
            throw truncated("WebP");
        }
        long riffEnd = 8 + u32le(b, 4);
        if (riffEnd > b.length) {
            throw truncated("WebP");
        }
        checkTrailing(b, (int) riffEnd, "WebP");
        int pos = 12;
        int width = -1;
        int height = -1;
        int orientation = 1;
        boolean sawImage = false;
        while (pos < riffEnd) {
            if (pos + 8 > riffEnd) {
                throw truncated("WebP");
            }
            String type = new String(b, pos, 4, StandardCharsets.ISO_8859_1);
            long size = u32le(b, pos + 4);
            int data = pos + 8;
            if (size > riffEnd - data) {
                throw truncated("WebP");
            }
            int n = (int) size;
            switch (type) {
                case "VP8X" -> {
                    if (n < 10) {
                        throw invalid("The WebP extended header is damaged");
                    }
                    if ((b[data] & 0x02) != 0) {
                        throw invalid("Animated WebP images are not accepted");
                    }
                    width = u24le(b, data + 4) + 1;
                    height = u24le(b, data + 7) + 1;
                }
                case "VP8 " -> {
                    if (n < 10 || (b[data + 3] & 0xFF) != 0x9D || (b[data + 4] & 0xFF) != 0x01
                            || (b[data + 5] & 0xFF) != 0x2A) {
                        throw invalid("The WebP image data is damaged");
                    }
                    if (width < 0) {
                        width = u16le(b, data + 6) & 0x3FFF;
                        height = u16le(b, data + 8) & 0x3FFF;
                    }
                    sawImage = true;
                }
                case "VP8L" -> {
                    if (n < 5 || (b[data] & 0xFF) != 0x2F) {
                        throw invalid("The WebP image data is damaged");
                    }
                    long bits = u32le(b, data + 1);
                    if (width < 0) {
                        width = (int) (bits & 0x3FFF) + 1;
                        height = (int) ((bits >> 14) & 0x3FFF) + 1;
                    }
                    sawImage = true;
                }
                case "ANIM", "ANMF" -> throw invalid("Animated WebP images are not accepted");
                case "EXIF" -> {
                    int off = startsWith(b, data, ascii("Exif\0\0")) ? 6 : 0;
                    orientation = ExifOrientation.fromTiff(b, data + off, n - off);
                }
                default -> {
                }
            }
            pos = data + n + (n & 1);
        }
        if (!sawImage) {
            throw invalid("The WebP has no image data");
        }
        return new Header(ImageType.WEBP, width, height, orientation);
    }

    // --- helpers ---------------------------------------------------------------------------------------

    private void checkTrailing(byte[] b, int end, String format) {
        int trailing = b.length - end;
        if (trailing > limits.maxTrailingBytes()) {
            throw invalid("The " + format + " has " + trailing + " bytes after its end" + lookalikeAt(b, end)
                    + "; files carrying another file are refused");
        }
    }

    private static String lookalike(byte[] b) {
        return lookalikeAt(b, 0);
    }

    /** Names a well-known signature at {@code offset}, for a clearer refusal. */
    private static String lookalikeAt(byte[] b, int offset) {
        if (startsWith(b, offset, new byte[] {'P', 'K', 3, 4}) || startsWith(b, offset, new byte[] {'P', 'K', 5, 6})) {
            return " (ZIP data)";
        }
        if (startsWith(b, offset, ascii("%PDF"))) {
            return " (PDF data)";
        }
        if (startsWith(b, offset, ascii("GIF8"))) {
            return " (it is a GIF)";
        }
        String head = new String(b, offset, Math.min(512, Math.max(0, b.length - offset)), StandardCharsets.ISO_8859_1)
                .stripLeading().toLowerCase(Locale.ROOT);
        if (head.startsWith("<!doctype html") || head.startsWith("<html") || head.contains("<script")
                || head.startsWith("<head") || head.startsWith("<body")) {
            return " (HTML)";
        }
        if (head.startsWith("<?xml") || head.startsWith("<svg")) {
            return " (XML or SVG)";
        }
        return "";
    }

    private static ApiProblem truncated(String format) {
        return invalid("The " + format + " is truncated");
    }

    private static ApiProblem invalid(String detail) {
        return ApiProblem.invalidField(FIELD, detail);
    }

    private static String printable(String type) {
        return type.chars().allMatch(c -> c >= 0x20 && c < 0x7F) ? type : "?";
    }

    static boolean startsWith(byte[] bytes, int offset, byte[] prefix) {
        return offset >= 0 && bytes.length >= offset + prefix.length
                && java.util.Arrays.equals(bytes, offset, offset + prefix.length, prefix, 0, prefix.length);
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.ISO_8859_1);
    }

    static long u32be(byte[] b, int p) {
        return ((long) (b[p] & 0xFF) << 24) | ((b[p + 1] & 0xFF) << 16) | ((b[p + 2] & 0xFF) << 8) | (b[p + 3] & 0xFF);
    }

    static int u16be(byte[] b, int p) {
        return ((b[p] & 0xFF) << 8) | (b[p + 1] & 0xFF);
    }

    static long u32le(byte[] b, int p) {
        return (b[p] & 0xFF) | ((b[p + 1] & 0xFF) << 8) | ((b[p + 2] & 0xFF) << 16) | ((long) (b[p + 3] & 0xFF) << 24);
    }

    static int u24le(byte[] b, int p) {
        return (b[p] & 0xFF) | ((b[p + 1] & 0xFF) << 8) | ((b[p + 2] & 0xFF) << 16);
    }

    static int u16le(byte[] b, int p) {
        return (b[p] & 0xFF) | ((b[p + 1] & 0xFF) << 8);
    }
}
