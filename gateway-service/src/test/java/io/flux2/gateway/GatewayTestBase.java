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
    static final FakeServices SERVICES = FakeServices.start();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        SharedTestInfra.registerPostgres(registry);
        registry.add("flux.clients.services.job-service.base-url", SERVICES::baseUrl);
        registry.add("flux.clients.services.asset-service.base-url", SERVICES::baseUrl);
        registry.add("flux.gateway.bootstrap-key", () -> BOOTSTRAP_KEY);
        registry.add("flux.gateway.bootstrap-tenant", () -> TENANT);
        registry.add("flux.gateway.upstream.retry-after", () -> "7s");
    }

    @Autowired
    WebTestClient web;

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

    static Map<String, Object> prompt(String prompt) {
        return Map.of("prompt", prompt);
    }
}
