package io.flux2.jobs.webhooks;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.HexFormat;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,} + base64(HMAC-SHA256(key, "{webhook-id}.{webhook-timestamp}.{body}")).
 * A secret {@code whsec_<base64>} is the base64-decoded bytes after the prefix; any other secret is used as
 * its UTF-8 bytes. Deliveries also carry BFL's body signature ({@link #signBodyAsBfl}).
 */
public final class WebhookSigner {

    private WebhookSigner() {
    }

    public static String sign(String secret, String messageId, long timestampSeconds, byte[] body) {
        byte[] prefix = (messageId + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8);
        return "v1," + Base64.getEncoder().encodeToString(hmacSha256(key(secret), prefix, body));
    }

    /**
     * The signature BFL's own client code checks, {@code sha256=} + hex(HMAC-SHA256(secret, body)) in header
     * {@code X-BFL-Signature} (research/hosted-apis.md, "Webhooks"): the secret's UTF-8 bytes as given, so a
     * receiver written for BFL verifies our deliveries unchanged.
     */
    public static String signBodyAsBfl(String secret, byte[] body) {
        return "sha256=" + HexFormat.of().formatHex(hmacSha256(secret.getBytes(StandardCharsets.UTF_8), body));
    }

    private static byte[] hmacSha256(byte[] key, byte[]... parts) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            for (byte[] part : parts) {
                mac.update(part);
            }
            return mac.doFinal();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 unavailable", e);
        }
    }

    static byte[] key(String secret) {
        if (secret.startsWith("whsec_")) {
            return Base64.getDecoder().decode(secret.substring("whsec_".length()));
        }
        return secret.getBytes(StandardCharsets.UTF_8);
    }

    /** Whether the secret can sign: a {@code whsec_} secret must be valid base64 and not empty. */
    public static boolean usable(String secret) {
        try {
            return key(secret).length > 0;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }
}
