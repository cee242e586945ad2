package io.flux2.gateway.keys;

import java.util.UUID;

/** Who is calling: the tenant whose jobs a request may create and see, and the key it used. */
public record Caller(String tenantId, UUID keyId) {
}
