package io.flux2.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

class SubmitTest extends GatewayTestBase {

    @Test
    void createsTheJobWithTheTiersModelPriorityAndResolvedDefaults() {
        var response = submit("flux-2-flex", Map.of("prompt", "a red fox in snow", "prompt_upsampling", true,
                "webhook_url", "https://example.test/hook"))
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();

        JsonNode sent = lastCreate();
        assertThat(sent.get("tenantId").asString()).isEqualTo(TENANT);
        assertThat(sent.get("tier").asString()).isEqualTo("flex");
        assertThat(sent.get("model").asString()).isEqualTo("tiny");
        assertThat(sent.get("priority").asInt()).isEqualTo(20);
        JsonNode request = sent.get("request");
        assertThat(request.get("prompt").asString()).isEqualTo("a red fox in snow");
        assertThat(request.get("width").asInt()).isEqualTo(128);
        assertThat(request.get("height").asInt()).isEqualTo(128);
        assertThat(request.get("seed").isIntegralNumber()).isTrue();
        assertThat(request.get("seed").asLong()).isBetween(0L, 4294967295L);
        assertThat(request.get("steps").asInt()).isEqualTo(50);
        assertThat(request.get("guidance").asDouble()).isEqualTo(5.0);
        assertThat(request.get("outputFormat").asString()).as("BFL's default").isEqualTo("jpeg");
        assertThat(request.get("safetyTolerance").asInt()).isEqualTo(2);
        assertThat(request.has("webhook_url")).isFalse();

        String id = response.get("id").asString();
        assertThat(SERVICES.jobs).containsKey(id);
        assertThat(response.get("polling_url").asString()).matches("http://localhost:\\d+/v1/get_result\\?id=" + id);
        assertThat(response.get("cost").asDouble()).isEqualTo(5.0);
        assertThat(response.get("input_mp").asDouble()).isEqualTo(0.0);
        assertThat(response.get("output_mp").asDouble()).isEqualTo(0.02);
    }

    @Test
    void passesTheClientsChoicesThrough() {
        submit("flux-2-flex", Map.of("prompt", "a lighthouse", "width", 1024, "height", 768, "seed", 42,
                "steps", 28, "guidance", 3.5, "output_format", "JPEG", "safety_tolerance", 5))
                .expectStatus().isOk()
                .expectBody().jsonPath("$.cost").isEqualTo(5.0).jsonPath("$.output_mp").isEqualTo(0.75);

        JsonNode request = lastCreate().get("request");
        assertThat(request.get("width").asInt()).isEqualTo(1024);
        assertThat(request.get("height").asInt()).isEqualTo(768);
        assertThat(request.get("seed").asLong()).isEqualTo(42);
        assertThat(request.get("steps").asInt()).isEqualTo(28);
        assertThat(request.get("guidance").asDouble()).isEqualTo(3.5);
        assertThat(request.get("outputFormat").asString()).isEqualTo("jpeg");
        assertThat(request.get("safetyTolerance").asInt()).isEqualTo(5);
    }

    @Test
    void fixedTiersGetTheirFixedSettingsAndPriority() {
        submit("flux-2-klein-4b", prompt("a cat")).expectStatus().isOk().expectBody().jsonPath("$.cost").isEqualTo(1.4);
        JsonNode klein = lastCreate();
        assertThat(klein.get("tier").asString()).isEqualTo("klein");
        assertThat(klein.get("priority").asInt()).isEqualTo(30);
        assertThat(klein.get("request").get("steps").asInt()).isEqualTo(4);
        assertThat(klein.get("request").get("guidance").asDouble()).isEqualTo(1.0);

        submit("flux-2-dev", prompt("a cat")).expectStatus().isOk();
        assertThat(lastCreate().get("request").get("guidance").asDouble()).isEqualTo(4.0);

        // BFL's pro and klein have no steps or guidance and ignore fields they do not know: so does /v1.
        submit("flux-2-pro", Map.of("prompt", "a cat", "steps", 20, "guidance", 3.5)).expectStatus().isOk();
        assertThat(lastCreate().get("request").get("steps").asInt()).isEqualTo(50);
        assertThat(lastCreate().get("request").get("guidance").asDouble()).isEqualTo(4.0);
        submit("flux-2-klein-4b", Map.of("prompt", "a cat", "steps", "eight", "guidance", 3.5)).expectStatus().isOk();
        assertThat(lastCreate().get("request").get("steps").asInt()).isEqualTo(4);
    }

    @Test
    void largestSquareIsAllowedAndPricedPerStartedMegapixel() {
        // 2048x2048 = 4 MP of 1024x1024 pixels: pro's 3 + 3 x 1.5 credits.
        submit("flux-2-pro", Map.of("prompt", "a map", "width", 2048, "height", 2048))
                .expectStatus().isOk()
                .expectBody().jsonPath("$.cost").isEqualTo(7.5).jsonPath("$.output_mp").isEqualTo(4.0);
        // BFL's own example, 1920x1080 [pro] at 1.98 MP for 4.5 credits, at the nearest multiple of 16.
        submit("flux-2-pro", Map.of("prompt", "a city", "width", 1920, "height", 1088))
                .expectStatus().isOk()
                .expectBody().jsonPath("$.cost").isEqualTo(4.5).jsonPath("$.output_mp").isEqualTo(1.99);
        assertThat(lastCreate().get("priority").asInt()).isEqualTo(40);
    }

    @Test
    void callsJobServiceWithTheInternalToken() {
        submit("flux-2-pro", prompt("a token check")).expectStatus().isOk();
        var create = SERVICES.received("POST", "/internal/jobs").get(SERVICES.received("POST", "/internal/jobs").size() - 1);
        assertThat(create.internalToken()).isEqualTo("local-internal-token");
    }

    @Test
    void unknownRouteIsNotFound() {
        submit("flux-3-ultra", prompt("a fox"))
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.status").isEqualTo(404);
    }

    @Test
    void failingJobServiceIsUnavailableWithRetryAfter() {
        SERVICES.failingCreates.set(1);
        submit("flux-2-pro", prompt("a fox"))
                .expectStatus().isEqualTo(503)
                .expectHeader().valueEquals(HttpHeaders.RETRY_AFTER, "7")
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        // Submission is never retried behind the client's back: a second POST could create a second job.
        assertThat(SERVICES.failingCreates.get()).isZero();
    }

    @Test
    void submittedJobCanBePolledAtItsPollingUrl() {
        String pollingUrl = submit("flux-2-pro", prompt("a fox")).expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody().get("polling_url").asString();
        web.get().uri(pollingUrl.replaceFirst("http://localhost:\\d+", "")).header("x-key", BOOTSTRAP_KEY).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("Pending").jsonPath("$.progress").isEqualTo(0.0);
    }

    /** Behind a TLS proxy the client must be sent to the address it called, not to the proxy's upstream. */
    @Test
    void pollingUrlFollowsTheProxysForwardedHeaders() {
        JsonNode response = web.post().uri("/v1/flux-2-pro").contentType(MediaType.APPLICATION_JSON)
                .header("x-key", BOOTSTRAP_KEY)
                .header("X-Forwarded-Proto", "https")
                .header("X-Forwarded-Host", "images.example.com")
                .bodyValue(prompt("a fox")).exchange()
                .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
        assertThat(response.get("polling_url").asString())
                .isEqualTo("https://images.example.com/v1/get_result?id=" + response.get("id").asString());
    }

    private static JsonNode lastCreate() {
        var creates = SERVICES.received("POST", "/internal/jobs");
        return creates.get(creates.size() - 1).body();
    }
}
