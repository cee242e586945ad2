package io.flux2.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.gateway.keys.Caller;
import io.flux2.gateway.ratelimit.LimitProperties;
import io.flux2.gateway.ratelimit.RateLimiter;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierCatalog;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import tools.jackson.databind.JsonNode;

/** The admin API, and the limits it sets: tiers per tenant, spend caps, rate and active-job limits. */
class AdminAndLimitsTest extends GatewayTestBase {

    @Autowired
    DatabaseClient db;

    @Autowired
    TierCatalog tiers;

    @Test
    void adminApiNeedsTheAdminKey() {
        web.get().uri("/admin/tenants").exchange().expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        web.get().uri("/admin/tenants").header("x-admin-key", "wrong").exchange().expectStatus().isUnauthorized();
        web.get().uri("/admin/tenants").header("x-key", BOOTSTRAP_KEY).exchange().expectStatus().isUnauthorized();
        web.get().uri("/admin/tenants").header("Authorization", "Bearer " + ADMIN_KEY).exchange().expectStatus().isOk();
    }

    @Test
    void createTenantAndKeyShowsTheKeyOnceStoresItHashedAndRevokesAtOnce() {
        String tenant = unique("acme");
        admin("POST", "/admin/tenants", Map.of("id", tenant, "name", "Acme", "monthly_spend_cap", 500,
                "allowed_tiers", List.of("pro", "klein")))
                .expectStatus().isCreated()
                .expectBody().jsonPath("$.id").isEqualTo(tenant).jsonPath("$.monthly_spend_cap").isEqualTo(500)
                .jsonPath("$.allowed_tiers[1]").isEqualTo("klein");
        admin("POST", "/admin/tenants", Map.of("id", tenant, "name", "Again")).expectStatus().isEqualTo(409);
        admin("GET", "/admin/tenants", null).expectStatus().isOk()
                .expectBody().jsonPath("$.items[?(@.id == '" + tenant + "')].name").isEqualTo("Acme");

        JsonNode created = admin("POST", "/admin/tenants/" + tenant + "/keys", Map.of("name", "ci"))
                .expectStatus().isCreated()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        String key = created.get("key").asString();
        String prefix = created.get("prefix").asString();
        assertThat(key).startsWith("flx_" + prefix + "_");
        assertThat(created.get("revoked").asBoolean()).isFalse();

        String listed = admin("GET", "/admin/tenants/" + tenant + "/keys", null).expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        assertThat(listed).contains(prefix).contains("\"name\":\"ci\"").doesNotContain(key)
                .doesNotContain(key.substring(key.lastIndexOf('_') + 1));
        var stored = db.sql("select key_hash from gateway.api_keys where prefix = :p").bind("p", prefix)
                .map((row, meta) -> row.get("key_hash", String.class)).one().block();
        assertThat(stored).isNotEqualTo(key).hasSize(64);

        submit("flux-2-pro", prompt("a key test"), key).expectStatus().isOk();
        assertThat(SERVICES.lastCreate().get("tenantId").asString()).isEqualTo(tenant);
        admin("POST", "/admin/keys/" + prefix + "/revoke", null).expectStatus().isOk()
                .expectBody().jsonPath("$.revoked").isEqualTo(true).jsonPath("$.revoked_at").exists();
        submit("flux-2-pro", prompt("a key test"), key).expectStatus().isUnauthorized();
        v2("GET", "/v2/tiers", null, key).expectStatus().isUnauthorized();
        admin("GET", "/admin/tenants/" + tenant + "/keys", null).expectStatus().isOk()
                .expectBody().jsonPath("$.items[0].revoked").isEqualTo(true);
        admin("POST", "/admin/keys/nosuchpf/revoke", null).expectStatus().isNotFound();
        admin("POST", "/admin/tenants/" + unique("none") + "/keys", Map.of()).expectStatus().isNotFound();
    }

    @Test
    void adminBodiesAreValidated() {
        admin("POST", "/admin/tenants", Map.of("name", "x", "allowed_tiers", List.of("ultra")))
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("allowed_tiers");
        admin("POST", "/admin/tenants", Map.of("name", "x", "monthly_spend_cap", -1))
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("monthly_spend_cap");
        // An empty list is refused rather than read as "every tier", which is what leaving it out means.
        admin("POST", "/admin/tenants", Map.of("name", "x", "allowed_tiers", List.of()))
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("allowed_tiers")
                .jsonPath("$.limit").isArray();
        admin("POST", "/admin/tenants", Map.of("name", "x", "plan", "gold"))
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("plan");
        admin("POST", "/admin/tenants", Map.of()).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("name");
    }

    @Test
    void aTierTheTenantMayNotUseIsForbidden() {
        String key = tenantWithKey(unique("kleinonly"), Map.of("allowed_tiers", List.of("klein")), Map.of());
        int before = SERVICES.received("POST", "/internal/jobs").size();
        submit("flux-2-pro", prompt("a fox"), key).expectStatus().isForbidden()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(SERVICES.received("POST", "/internal/jobs")).hasSize(before);
        submit("flux-2-klein-4b", prompt("a fox"), key).expectStatus().isOk();
    }

    @Test
    void spendCapIsPaymentRequired() {
        String tenant = unique("capped");
        String key = tenantWithKey(tenant, Map.of("monthly_spend_cap", 10), Map.of());
        SERVICES.credits.put(tenant, 6.0);
        // pro at 128x128 costs 3: 6 + 3 fits, 8 + 3 does not. The cap goes with the job: job-service checks it
        // under a lock of the tenant's, and its 402 passes through.
        submit("flux-2-pro", prompt("within the cap"), key).expectStatus().isOk();
        assertThat(SERVICES.lastCreate().get("monthlySpendCap").decimalValue()).isEqualByComparingTo("10");
        SERVICES.credits.put(tenant, 8.0);
        submit("flux-2-pro", prompt("over the cap"), key).expectStatus().isEqualTo(402)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.limit").isEqualTo(10).jsonPath("$.cost").isEqualTo(3.0)
                .jsonPath("$.spent").isEqualTo(8.0);
        v2("GET", "/v2/usage", null, key).expectStatus().isOk()
                .expectBody().jsonPath("$.monthly_spend_cap").isEqualTo(10).jsonPath("$.remaining").isEqualTo(2.0);
    }

    @Test
    void rateLimitAnswers429WithRetryAfterAfterTheBurst() {
        String key = tenantWithKey(unique("limited"), Map.of(),
                Map.of("rate_limit", Map.of("burst", 2, "per_minute", 1)));
        submit("flux-2-pro", prompt("one"), key).expectStatus().isOk();
        submit("flux-2-pro", prompt("two"), key).expectStatus().isOk();
        int before = SERVICES.received("POST", "/internal/jobs").size();
        submit("flux-2-pro", prompt("three"), key).expectStatus().isEqualTo(429)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectHeader().value(HttpHeaders.RETRY_AFTER, v -> assertThat(Long.parseLong(v)).isBetween(50L, 60L));
        assertThat(SERVICES.received("POST", "/internal/jobs")).hasSize(before);
        // The bucket is a row in PostgreSQL, shared by every replica.
        var tokens = db.sql("select b.tokens from gateway.rate_buckets b join gateway.api_keys k on k.id = b.key_id"
                        + " where k.tenant_id like 'limited-%' order by b.last_refill desc limit 1")
                .map((row, meta) -> row.get("tokens", Double.class)).one().block();
        assertThat(tokens).isLessThan(1.0);
    }

    @Test
    void twoReplicasHandingOutTokensTakenAheadTogetherGrantNoMoreThanTheSharedBucket() {
        // A reservation of an hour at one token a minute: the first replica's update takes the whole bucket.
        var limits = new LimitProperties(60, 600, 24, Duration.ofHours(1));
        RateLimiter first = new RateLimiter(db, limits);
        RateLimiter second = new RateLimiter(db, limits);
        Caller caller = new Caller("replicas", UUID.randomUUID(), "prefix", new Caller.KeyLimits(10, 1.0, null),
                Caller.TenantPolicy.UNRESTRICTED);
        Tier tier = tiers.byRoute("flux-2-pro").orElseThrow();
        first.acquire(caller, tier).block();
        Double left = db.sql("select tokens from gateway.rate_buckets where key_id = :key").bind("key", caller.keyId())
                .map((row, meta) -> row.get("tokens", Double.class)).one().block();
        assertThat(left).as("one statement took the whole burst").isLessThan(1.0);
        int granted = 1;
        long retryAfter = 0;
        for (int i = 0; i < 15; i++) {
            for (RateLimiter replica : List.of(first, second)) {
                try {
                    replica.acquire(caller, tier).block();
                    granted++;
                } catch (RateLimiter.RateLimited e) {
                    retryAfter = e.retryAfterSeconds();
                }
            }
        }
        assertThat(granted).isEqualTo(10);
        assertThat(retryAfter).isBetween(1L, 60L);
    }

    @Test
    void activeJobLimitGoesToJobServiceAndIts429PassesThrough() {
        String key = tenantWithKey(unique("busy"), Map.of(), Map.of("active_job_limit", 1));
        submit("flux-2-pro", prompt("first"), key).expectStatus().isOk();
        assertThat(SERVICES.lastCreate().get("activeJobLimit").asInt()).isEqualTo(1);
        submit("flux-2-pro", prompt("second"), key).expectStatus().isEqualTo(429)
                .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "3")
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.limit").isEqualTo(1).jsonPath("$.detail").exists();
    }
}
