package io.flux2.safety;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.infra.SharedTestInfra;
import io.flux2.safety.decisions.Decision;
import io.flux2.safety.decisions.Sha256;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** One application context for the API tests: PostgreSQL, a small policy, the tiny classifier package. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
abstract class SafetyTestSupport {

    static final String TOKEN = "safety-test-token";
    static final byte[] PNG_SIGNATURE = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
    static final byte[] BLOCKED_PNG = png("a known forbidden image");

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        SharedTestInfra.registerPostgres(registry);
        registry.add("flux.internal.token", () -> TOKEN);
        registry.add("flux.safety.policy-version", () -> "test-policy-7");
        registry.add("flux.safety.categories.weapons.terms[0]", () -> "kill");
        registry.add("flux.safety.categories.weapons.terms[1]", () -> "assault rifle");
        registry.add("flux.safety.categories.weapons.allowed-at-tolerance", () -> "4");
        registry.add("flux.safety.categories.forbidden.terms[0]", () -> "zorblax");
        registry.add("flux.safety.image.blocked-sha256[0]", () -> Sha256.hex(BLOCKED_PNG).toUpperCase());
        registry.add("flux.safety.image.max-bytes", () -> "65536");
        registry.add("flux.safety.image.classifier.package-dir", () -> "../model-tools/packages/safety-tiny");
        registry.add("flux.safety.tier-max-tolerance.dev", () -> "2");
    }

    @Autowired
    WebTestClient client;

    @Autowired
    DatabaseClient db;

    static byte[] png(String payload) {
        byte[] tail = payload.getBytes(StandardCharsets.US_ASCII);
        byte[] bytes = Arrays.copyOf(PNG_SIGNATURE, PNG_SIGNATURE.length + tail.length);
        System.arraycopy(tail, 0, bytes, PNG_SIGNATURE.length, tail.length);
        return bytes;
    }
}
