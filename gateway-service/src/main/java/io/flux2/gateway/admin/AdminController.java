package io.flux2.gateway.admin;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyAuthenticator;
import io.flux2.gateway.keys.ApiKeyFormat;
import io.flux2.gateway.keys.ApiKeyStore;
import io.flux2.gateway.keys.Caller;
import io.flux2.gateway.tenants.TenantStore;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierCatalog;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code /admin}: tenants (name, monthly spend cap in credits, allowed tiers) and their API keys. A new key
 * is shown in full once, in the answer that creates it; only its sha256 is stored and it is listed by
 * prefix. Revocation is a column the authenticator reads on every request, so every replica refuses the key
 * from the next request on.
 */
@RestController
class AdminController {

    static final String HEADER = "x-admin-key";
    private static final Pattern TENANT_ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_.-]{0,63}");
    private static final Set<String> TENANT_FIELDS = Set.of("id", "name", "monthly_spend_cap", "allowed_tiers");
    private static final Set<String> KEY_FIELDS = Set.of("name", "rate_limit", "active_job_limit");

    private final byte[] adminKey;
    private final int maxNameLength;
    private final TenantStore tenants;
    private final ApiKeyStore keys;
    private final TierCatalog tiers;

    AdminController(AdminProperties properties, TenantStore tenants, ApiKeyStore keys, TierCatalog tiers) {
        this.adminKey = properties.key() == null || properties.key().isBlank() ? null
                : properties.key().strip().getBytes(StandardCharsets.UTF_8);
        this.maxNameLength = properties.maxNameLength();
        this.tenants = tenants;
        this.keys = keys;
        this.tiers = tiers;
    }

    @PostMapping("/admin/tenants")
    Mono<ResponseEntity<Map<String, Object>>> createTenant(@RequestBody(required = false) Mono<JsonNode> body,
            ServerHttpRequest request) {
        return admin(request).then(body.defaultIfEmpty(JsonNodeFactory.instance.objectNode())).flatMap(json -> {
            checkFields(json, TENANT_FIELDS);
            String name = requiredString(json, "name");
            String id = optionalString(json, "id");
            if (id == null) {
                id = "ten_" + UUID.randomUUID().toString().replace("-", "").substring(0, 16);
            } else if (!TENANT_ID.matcher(id).matches()) {
                throw ApiProblem.invalidField("id", "id must be 1 to 64 letters, digits, '_', '.' or '-'");
            }
            BigDecimal cap = spendCap(json);
            List<String> allowed = allowedTiers(json);
            String tenantId = id;
            return tenants.insert(tenantId, name, cap, allowed)
                    .switchIfEmpty(Mono.error(() -> new ApiProblem(HttpStatus.CONFLICT, "Conflict",
                            "A tenant with id " + tenantId + " exists").with("field", "id")))
                    .map(tenant -> ResponseEntity.status(HttpStatus.CREATED).body(view(tenant)));
        });
    }

    @GetMapping("/admin/tenants")
    Mono<Map<String, Object>> listTenants(ServerHttpRequest request) {
        return admin(request).then(tenants.list().map(AdminController::view).collectList())
                .map(items -> Map.of("items", items));
    }

    @PostMapping("/admin/tenants/{tenantId}/keys")
    Mono<ResponseEntity<Map<String, Object>>> createKey(@PathVariable String tenantId,
            @RequestBody(required = false) Mono<JsonNode> body, ServerHttpRequest request) {
        return admin(request).then(body.defaultIfEmpty(JsonNodeFactory.instance.objectNode())).flatMap(json -> {
            checkFields(json, KEY_FIELDS);
            String name = optionalString(json, "name");
            Caller.KeyLimits limits = keyLimits(json);
            return tenants.find(tenantId)
                    .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Tenant " + tenantId)))
                    .flatMap(tenant -> insertKey(tenant.id(), name == null ? "unnamed" : name, limits, 3));
        });
    }

    /** Draws a key; a prefix collision (one in 62^8 per existing key) draws again. */
    private Mono<ResponseEntity<Map<String, Object>>> insertKey(String tenantId, String name, Caller.KeyLimits limits,
            int attempts) {
        String key = ApiKeyFormat.generate();
        ApiKeyFormat.ParsedKey parsed = ApiKeyFormat.parse(key).orElseThrow();
        return keys.insert(tenantId, parsed.prefix(), parsed.hash(), name, limits)
                .map(info -> {
                    Map<String, Object> view = view(info);
                    // The only time the whole key is ever shown.
                    view.put("key", key);
                    return ResponseEntity.status(HttpStatus.CREATED).body(view);
                })
                .switchIfEmpty(Mono.defer(() -> attempts > 1 ? insertKey(tenantId, name, limits, attempts - 1)
                        : Mono.error(new IllegalStateException("No free key prefix after several draws"))));
    }

    @GetMapping("/admin/tenants/{tenantId}/keys")
    Mono<Map<String, Object>> listKeys(@PathVariable String tenantId, ServerHttpRequest request) {
        return admin(request)
                .then(tenants.find(tenantId).switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Tenant " + tenantId))))
                .flatMap(tenant -> keys.listByTenant(tenant.id()).map(AdminController::view).collectList())
                .map(items -> Map.of("items", items));
    }

    @PostMapping("/admin/keys/{prefix}/revoke")
    Mono<Map<String, Object>> revokeKey(@PathVariable String prefix, ServerHttpRequest request) {
        return admin(request).then(keys.revokeAndGet(prefix))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Key flx_" + prefix)))
                .map(AdminController::view);
    }

    private Mono<Void> admin(ServerHttpRequest request) {
        return Mono.defer(() -> {
            String given = request.getHeaders().getFirst(HEADER);
            if (given == null) {
                given = ApiKeyAuthenticator.bearer(request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
            }
            if (adminKey != null && given != null
                    && MessageDigest.isEqual(adminKey, given.strip().getBytes(StandardCharsets.UTF_8))) {
                return Mono.empty();
            }
            return Mono.error(new ApiProblem(HttpStatus.UNAUTHORIZED, "Unauthorized", adminKey == null
                    ? "The admin API is off: no flux.gateway.admin.key is configured"
                    : "Send the admin key in the " + HEADER + " header or as Authorization: Bearer"));
        });
    }

    private static void checkFields(JsonNode json, Set<String> known) {
        if (!json.isObject()) {
            throw ApiProblem.invalidField("body", "The request body must be a JSON object");
        }
        for (String name : json.propertyNames()) {
            if (!known.contains(name)) {
                throw ApiProblem.invalidField(name, "Unknown field " + name);
            }
        }
    }

    private String requiredString(JsonNode json, String field) {
        String value = optionalString(json, field);
        if (value == null || value.isBlank()) {
            throw ApiProblem.invalidField(field, field + " is required");
        }
        return value.strip();
    }

    private String optionalString(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString() || node.stringValue().length() > maxNameLength) {
            throw ApiProblem.outOfRange(field, maxNameLength,
                    field + " must be a string of at most " + maxNameLength + " characters");
        }
        return node.stringValue();
    }

    private static BigDecimal spendCap(JsonNode json) {
        JsonNode node = json.get("monthly_spend_cap");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isNumber() || node.decimalValue().signum() < 0) {
            throw ApiProblem.invalidField("monthly_spend_cap", "monthly_spend_cap must be a number of credits, 0 or more");
        }
        return node.decimalValue();
    }

    private List<String> allowedTiers(JsonNode json) {
        JsonNode node = json.get("allowed_tiers");
        if (node == null || node.isNull()) {
            return null;
        }
        List<String> names = tiers.all().stream().map(Tier::name).toList();
        if (!node.isArray()) {
            throw ApiProblem.outOfRange("allowed_tiers", names, "allowed_tiers must be an array of tier names");
        }
        if (node.isEmpty()) {
            // Absent means every tier; an empty list would read as "none" to whoever wrote it.
            throw ApiProblem.outOfRange("allowed_tiers", names, "allowed_tiers must name at least one tier (leave "
                    + "it out for every tier); tiers are " + String.join(", ", names));
        }
        List<String> allowed = new ArrayList<>();
        for (JsonNode item : node.values()) {
            if (!item.isString() || !names.contains(item.stringValue())) {
                throw ApiProblem.outOfRange("allowed_tiers", names, "allowed_tiers holds an unknown tier " + item
                        + "; tiers are " + String.join(", ", names));
            }
            allowed.add(item.stringValue());
        }
        return allowed;
    }

    private static Caller.KeyLimits keyLimits(JsonNode json) {
        Integer burst = null;
        Double perMinute = null;
        JsonNode rate = json.get("rate_limit");
        if (rate != null && !rate.isNull()) {
            if (!rate.isObject() || rate.get("burst") == null || !rate.get("burst").isIntegralNumber()
                    || rate.get("burst").asInt() < 1 || rate.get("per_minute") == null
                    || !rate.get("per_minute").isNumber() || rate.get("per_minute").asDouble() <= 0) {
                throw ApiProblem.invalidField("rate_limit",
                        "rate_limit must be {burst: integer >= 1, per_minute: number > 0}");
            }
            burst = rate.get("burst").asInt();
            perMinute = rate.get("per_minute").asDouble();
        }
        Integer active = null;
        JsonNode activeNode = json.get("active_job_limit");
        if (activeNode != null && !activeNode.isNull()) {
            if (!activeNode.isIntegralNumber() || activeNode.asInt() < 1) {
                throw ApiProblem.invalidField("active_job_limit", "active_job_limit must be an integer >= 1");
            }
            active = activeNode.asInt();
        }
        return new Caller.KeyLimits(burst, perMinute, active);
    }

    private static Map<String, Object> view(TenantStore.Tenant tenant) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("id", tenant.id());
        view.put("name", tenant.name());
        view.put("monthly_spend_cap", tenant.monthlySpendCap());
        view.put("allowed_tiers", tenant.allowedTiers());
        view.put("created_at", tenant.createdAt() == null ? null : tenant.createdAt().toInstant().toString());
        return view;
    }

    private static Map<String, Object> view(ApiKeyStore.KeyInfo key) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("prefix", key.prefix());
        view.put("tenant_id", key.tenantId());
        view.put("name", key.name());
        view.put("created_at", key.createdAt() == null ? null : key.createdAt().toInstant().toString());
        view.put("revoked", key.revokedAt() != null);
        view.put("revoked_at", key.revokedAt() == null ? null : key.revokedAt().toInstant().toString());
        if (key.limits().rateLimitBurst() != null) {
            view.put("rate_limit", Map.of("burst", key.limits().rateLimitBurst(),
                    "per_minute", key.limits().rateLimitPerMinute()));
        }
        view.put("active_job_limit", key.limits().activeJobLimit());
        return view;
    }
}
