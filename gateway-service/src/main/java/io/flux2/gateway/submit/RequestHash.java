package io.flux2.gateway.submit;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyFormat;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The fingerprint job-service compares for an {@code Idempotency-Key}: sha256 of the canonical body (object
 * members sorted by name at every depth, null members left out, numbers without trailing zeros, no whitespace)
 * prefixed with what the body was sent to (the route),
 * so the same body sent to another tier is another request. The client's body, not the resolved one: a seed
 * the gateway drew would make every retry look different.
 */
public final class RequestHash {

    public static final String HEADER = "Idempotency-Key";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    private RequestHash() {
    }

    public static String of(String scope, JsonNode body) {
        return ApiKeyFormat.sha256Hex(scope + "\n" + JSON.writeValueAsString(canonical(body)));
    }

    /** The header's key, checked, or null when the client sent none. */
    public static String key(String header, int maxLength) {
        if (header == null) {
            return null;
        }
        String key = header.strip();
        if (key.isEmpty() || key.length() > maxLength || !key.chars().allMatch(c -> c >= 0x21 && c <= 0x7e)) {
            throw ApiProblem.outOfRange(HEADER, maxLength, HEADER + " must be 1 to " + maxLength
                    + " visible ASCII characters");
        }
        return key;
    }

    public static JobSubmitter.Idempotency idempotency(String header, int maxKeyLength, String scope, JsonNode body) {
        String key = key(header, maxKeyLength);
        return key == null ? JobSubmitter.Idempotency.NONE : new JobSubmitter.Idempotency(key, of(scope, body));
    }

    private static JsonNode canonical(JsonNode node) {
        if (node == null) {
            return JsonNodeFactory.instance.nullNode();
        }
        if (node.isObject()) {
            TreeMap<String, JsonNode> sorted = new TreeMap<>();
            for (var entry : node.properties()) {
                // A member spelled out as null means what leaving it out means (seed: null is a random seed).
                if (!entry.getValue().isNull()) {
                    sorted.put(entry.getKey(), canonical(entry.getValue()));
                }
            }
            ObjectNode out = JsonNodeFactory.instance.objectNode();
            sorted.forEach(out::set);
            return out;
        }
        if (node.isNumber()) {
            // 4, 4.0 and 4.00 are the same guidance.
            return JsonNodeFactory.instance.numberNode(node.decimalValue().stripTrailingZeros());
        }
        if (node.isArray()) {
            var out = JsonNodeFactory.instance.arrayNode();
            node.values().forEach(item -> out.add(canonical(item)));
            return out;
        }
        return node;
    }
}
