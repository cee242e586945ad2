package io.flux2.gateway;

import io.flux2.infra.SharedTestInfra;
import java.io.IOException;
import java.net.ServerSocket;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** Nothing listens where job-service and asset-service should be: clients hear 503 and when to retry. */
@SpringBootTest(classes = GatewayApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class JobServiceDownTest {

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        SharedTestInfra.registerPostgres(registry);
        String nowhere = "http://127.0.0.1:" + freePort();
        registry.add("flux.clients.services.job-service.base-url", () -> nowhere);
        registry.add("flux.clients.services.asset-service.base-url", () -> nowhere);
        registry.add("flux.gateway.bootstrap-key", () -> GatewayTestBase.BOOTSTRAP_KEY);
        registry.add("flux.gateway.bootstrap-tenant", () -> GatewayTestBase.TENANT);
    }

    private static int freePort() {
        try (ServerSocket socket = new ServerSocket(0)) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    @Autowired
    WebTestClient web;

    @Test
    void submitIsUnavailableWithRetryAfter() {
        web.post().uri("/v1/flux-2-pro").header("x-key", GatewayTestBase.BOOTSTRAP_KEY)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("prompt", "a fox"))
                .exchange()
                .expectStatus().isEqualTo(503)
                .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "5")
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.status").isEqualTo(503);
    }

    @Test
    void getResultIsUnavailableWithRetryAfter() {
        web.get().uri("/v1/get_result?id=abc").header("x-key", GatewayTestBase.BOOTSTRAP_KEY)
                .exchange()
                .expectStatus().isEqualTo(503)
                .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "5")
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }
}
