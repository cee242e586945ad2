package io.flux2.gateway;

import io.flux2.infra.SharedTestInfra;
import java.util.Map;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** One gateway against the shared PostgreSQL and one fake job-service/asset-service, shared by its subclasses. */
@SpringBootTest(classes = GatewayApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
abstract class GatewayTestBase {

    static final String BOOTSTRAP_KEY = "flx_testboot_bootstrap-secret-0001";
    static final String TENANT = "tenant-a";
    static final String ADMIN_KEY = "test-admin-key";
    static final FakeServices SERVICES = FakeServices.start();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        SharedTestInfra.registerPostgres(registry);
        registry.add("flux.clients.services.job-service.base-url", SERVICES::baseUrl);
        registry.add("flux.clients.services.asset-service.base-url", SERVICES::baseUrl);
        registry.add("flux.gateway.bootstrap-key", () -> BOOTSTRAP_KEY);
        registry.add("flux.gateway.bootstrap-tenant", () -> TENANT);
        registry.add("flux.gateway.upstream.retry-after", () -> "7s");
        registry.add("flux.gateway.admin.key", () -> ADMIN_KEY);
        // Fake jobs never finish on their own: only keys made for the purpose meet the active-job limit.
        registry.add("flux.gateway.limits.active-job-limit", () -> "100000");
        registry.add("flux.gateway.tiers.klein.max-safety-tolerance", () -> "4");
        registry.add("flux.gateway.v2.poll-interval", () -> "50ms");
        registry.add("flux.gateway.v2.max-wait", () -> "5s");
        registry.add("flux.gateway.openai.max-wait", () -> "2s");
    }

    WebTestClient web;

    /** The machine is shared: allow a slow answer (the default is 5 s). */
    @Autowired
    void setWeb(WebTestClient web) {
        this.web = web.mutate().responseTimeout(java.time.Duration.ofSeconds(30)).build();
    }

    WebTestClient.ResponseSpec submit(String route, Object body) {
        return submit(route, body, BOOTSTRAP_KEY);
    }

    WebTestClient.ResponseSpec submit(String route, Object body, String key) {
        WebTestClient.RequestBodySpec request = web.post().uri("/v1/" + route).contentType(MediaType.APPLICATION_JSON);
        if (key != null) {
            request = request.header("x-key", key);
        }
        return request.bodyValue(body).exchange();
    }

    WebTestClient.ResponseSpec getResult(String id, String key) {
        WebTestClient.RequestHeadersSpec<?> request =
                web.get().uri(uri -> uri.path("/v1/get_result").queryParam("id", id).build());
        if (key != null) {
            request = request.header("x-key", key);
        }
        return request.exchange();
    }

    WebTestClient.ResponseSpec admin(String method, String path, Object body) {
        var request = web.method(org.springframework.http.HttpMethod.valueOf(method)).uri(path)
                .header("x-admin-key", ADMIN_KEY);
        return body == null ? request.exchange()
                : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    /** A new tenant with the given settings and one key for it; answers the whole key. */
    String tenantWithKey(String tenantId, Map<String, Object> tenant, Map<String, Object> key) {
        Map<String, Object> body = new java.util.HashMap<>(tenant);
        body.put("id", tenantId);
        body.putIfAbsent("name", "Tenant " + tenantId);
        admin("POST", "/admin/tenants", body).expectStatus().isCreated();
        return admin("POST", "/admin/tenants/" + tenantId + "/keys", key)
                .expectStatus().isCreated()
                .expectBody(tools.jackson.databind.JsonNode.class).returnResult().getResponseBody()
                .get("key").asString();
    }

    static String unique(String prefix) {
        return prefix + "-" + java.util.UUID.randomUUID().toString().substring(0, 8);
    }

    WebTestClient.ResponseSpec v2(String method, String path, Object body, String key) {
        var request = web.method(org.springframework.http.HttpMethod.valueOf(method)).uri(path)
                .header("Authorization", "Bearer " + key);
        return body == null ? request.exchange()
                : request.contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    static Map<String, Object> prompt(String prompt) {
        return Map.of("prompt", prompt);
    }
}
