package io.flux2.gateway.keys;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The shape of a key, {@code flx_<prefix8>_<secret>}. The prefix is not secret: it only finds the stored
 * row, so a lookup never has to compare hashes against every key.
 */
public final class ApiKeyFormat {

    private static final String ALPHANUMERIC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    private static final SecureRandom RANDOM = new SecureRandom();
    private static final Pattern KEY = Pattern.compile("flx_([A-Za-z0-9]{8})_([A-Za-z0-9_-]{1,200})");

    private ApiKeyFormat() {
    }

    /** A presented key split into the part that finds it and the hash that proves it. */
    public record ParsedKey(String prefix, String hash) {
    }

    public static Optional<ParsedKey> parse(String key) {
        if (key == null) {
            return Optional.empty();
        }
        var matcher = KEY.matcher(key);
        if (!matcher.matches()) {
            return Optional.empty();
        }
        return Optional.of(new ParsedKey(matcher.group(1), sha256Hex(key)));
    }

    /** A new random key: an 8-character prefix and a 256-bit secret (43 base64url characters). */
    public static String generate() {
        StringBuilder prefix = new StringBuilder(8);
        for (int i = 0; i < 8; i++) {
            prefix.append(ALPHANUMERIC.charAt(RANDOM.nextInt(ALPHANUMERIC.length())));
        }
        byte[] secret = new byte[32];
        RANDOM.nextBytes(secret);
        return "flx_" + prefix + "_" + Base64.getUrlEncoder().withoutPadding().encodeToString(secret);
    }

    public static String sha256Hex(String key) {
        try {
            byte[] digest = MessageDigest.getInstance("SHA-256").digest(key.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(digest);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is part of every JDK", e);
        }
    }

    /** Compares two hashes in time independent of where they differ. */
    public static boolean sameHash(String expected, String given) {
        return MessageDigest.isEqual(expected.getBytes(StandardCharsets.US_ASCII),
                given.getBytes(StandardCharsets.US_ASCII));
    }
}
