package io.flux2.gateway.submit;

import io.flux2.common.problem.ApiProblem;
import java.math.BigDecimal;
import java.util.Optional;
import tools.jackson.databind.JsonNode;

/**
 * Reads typed fields from a request body with a 422 naming the field when the type is wrong. The body is
 * read as a tree, not bound to a record, so a wrong type is a field problem like any other instead of an
 * unreadable-body 400. JSON {@code null} counts as absent, as in BFL ({@code "seed": null} means random).
 */
final class JsonFields {

    private static final BigDecimal LONG_RANGE = BigDecimal.valueOf(Long.MAX_VALUE);

    private final JsonNode body;

    JsonFields(JsonNode body) {
        this.body = body;
    }

    private Optional<JsonNode> field(String name) {
        JsonNode node = body.get(name);
        return node == null || node.isNull() ? Optional.empty() : Optional.of(node);
    }

    Optional<String> string(String name) {
        return field(name).map(node -> {
            if (!node.isString()) {
                throw ApiProblem.invalidField(name, name + " must be a string");
            }
            return node.stringValue();
        });
    }

    /** An integer; {@code 128.0} is accepted, {@code 128.5} and {@code "128"} are not. */
    Optional<Long> integer(String name) {
        return field(name).map(node -> {
            if (!node.isNumber() || !isIntegral(node.decimalValue())) {
                throw ApiProblem.invalidField(name, name + " must be an integer");
            }
            BigDecimal value = node.decimalValue();
            if (value.abs().compareTo(LONG_RANGE) > 0) {
                // Beyond any configured limit; the caller's range check names the limit it broke.
                return value.signum() > 0 ? Long.MAX_VALUE : Long.MIN_VALUE;
            }
            return value.longValueExact();
        });
    }

    Optional<Boolean> bool(String name) {
        return field(name).map(node -> {
            if (!node.isBoolean()) {
                throw ApiProblem.invalidField(name, name + " must be true or false");
            }
            return node.booleanValue();
        });
    }

    Optional<Double> number(String name) {
        return field(name).map(node -> {
            if (!node.isNumber()) {
                throw ApiProblem.invalidField(name, name + " must be a number");
            }
            return node.doubleValue();
        });
    }

    private static boolean isIntegral(BigDecimal value) {
        return value.signum() == 0 || value.stripTrailingZeros().scale() <= 0;
    }
}
