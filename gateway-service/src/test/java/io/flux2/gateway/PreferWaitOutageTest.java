package io.flux2.gateway;

import io.flux2.infra.SharedTestInfra;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * job-service stores the job, then cannot be read while the gateway waits on {@code Prefer: wait}: the answer is
 * the created job (202), not an error that would make a client submit again. A gateway and fake of its own, so
 * the failing reads open no circuit breaker other tests share.
 */
@SpringBootTest(classes = GatewayApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class PreferWaitOutageTest {

    private static final FakeServices SERVICES = FakeServices.start();

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        SharedTestInfra.registerPostgres(registry);
        registry.add("flux.clients.services.job-service.base-url", SERVICES::baseUrl);
        registry.add("flux.clients.services.asset-service.base-url", SERVICES::baseUrl);
        registry.add("flux.gateway.bootstrap-key", () -> GatewayTestBase.BOOTSTRAP_KEY);
        registry.add("flux.gateway.bootstrap-tenant", () -> GatewayTestBase.TENANT);
        registry.add("flux.gateway.v2.poll-interval", () -> "100ms");
    }

    @AfterAll
    static void stop() {
        SERVICES.close();
    }

    @Autowired
    WebTestClient web;

    @Test
    void aJobThatCannotBeReadWhileWaitedOnIsAnsweredAsCreated() {
        SERVICES.failingReads = true;
        web.mutate().responseTimeout(Duration.ofSeconds(30)).build()
                .post().uri("/v2/jobs").header("x-key", GatewayTestBase.BOOTSTRAP_KEY).header("Prefer", "wait=2")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("tier", "pro", "prompt", "a fox nobody can read"))
                .exchange()
                .expectStatus().isAccepted()
                .expectBody().jsonPath("$.status").isEqualTo("awaiting_safety").jsonPath("$.id").isNotEmpty();
    }
}
