package io.flux2.inference;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Just enough of NumPy's .npy format (version 1.0, little-endian float32, C order) for the parity test. */
public final class Npy {

    private static final byte[] MAGIC = {(byte) 0x93, 'N', 'U', 'M', 'P', 'Y'};
    private static final Pattern SHAPE = Pattern.compile("'shape':\\s*\\(([^)]*)\\)");

    public record Array(long[] shape, float[] data) {
    }

    private Npy() {
    }

    public static void writeFloat32(Path file, long[] shape, float[] data) throws IOException {
        StringBuilder dims = new StringBuilder();
        for (long d : shape) {
            dims.append(d).append(", ");
        }
        String tuple = shape.length == 1 ? dims.toString().strip() : dims.substring(0, dims.length() - 2);
        String header = "{'descr': '<f4', 'fortran_order': False, 'shape': (" + tuple + "), }";
        // magic(6) + version(2) + length(2) + header + '\n', padded with spaces to a multiple of 64
        int unpadded = 10 + header.length() + 1;
        int padding = (64 - unpadded % 64) % 64;
        String full = header + " ".repeat(padding) + "\n";
        ByteBuffer buffer = ByteBuffer.allocate(10 + full.length() + 4 * data.length).order(ByteOrder.LITTLE_ENDIAN);
        buffer.put(MAGIC).put((byte) 1).put((byte) 0).putShort((short) full.length());
        buffer.put(full.getBytes(StandardCharsets.US_ASCII));
        for (float value : data) {
            buffer.putFloat(value);
        }
        Files.write(file, buffer.array());
    }

    public static Array readFloat32(Path file) throws IOException {
        ByteBuffer buffer = ByteBuffer.wrap(Files.readAllBytes(file)).order(ByteOrder.LITTLE_ENDIAN);
        byte[] magic = new byte[6];
        buffer.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw new IOException(file + " is not a .npy file");
        }
        int major = buffer.get();
        buffer.get();
        int headerLength = major == 1 ? Short.toUnsignedInt(buffer.getShort()) : buffer.getInt();
        byte[] headerBytes = new byte[headerLength];
        buffer.get(headerBytes);
        String header = new String(headerBytes, StandardCharsets.US_ASCII);
        if (!header.contains("'<f4'") || header.contains("'fortran_order': True")) {
            throw new IOException(file + ": only little-endian float32 in C order is supported: " + header);
        }
        Matcher matcher = SHAPE.matcher(header);
        if (!matcher.find()) {
            throw new IOException(file + ": no shape in header " + header);
        }
        long[] shape = Arrays.stream(matcher.group(1).split(","))
                .map(String::strip).filter(s -> !s.isEmpty()).mapToLong(Long::parseLong).toArray();
        long count = Arrays.stream(shape).reduce(1, (a, b) -> a * b);
        float[] data = new float[Math.toIntExact(count)];
        buffer.asFloatBuffer().get(data);
        return new Array(shape, data);
    }
}
