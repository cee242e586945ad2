package io.flux2.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * BFL's documented request bodies, sent as a curl user sends them (plain JSON, {@code x-key}), get BFL-shaped
 * answers: {@code {id, polling_url, cost, input_mp, output_mp}}, then {@code Pending} until {@code Ready}.
 * Sizes are small because the bundled model is the tiny one.
 */
class BflCompatibilityTest {

    private static GatewayClient gateway;

    @BeforeAll
    static void platform() {
        gateway = new GatewayClient(RunningPlatform.get().gatewayUrl());
    }

    @Test
    void aProRequestGoesFromPendingToReadyWithBflShapedAnswers() {
        var submitted = gateway.post("/v1/flux-2-pro", RunningPlatform.API_KEY, """
                {
                  "prompt": "A cat on its back legs running like a human is holding a big silver fish with its arms",
                  "width": 128,
                  "height": 128,
                  "seed": 42,
                  "safety_tolerance": 2,
                  "output_format": "jpeg"
                }""");
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(200);
        assertThat(names(submitted.body())).containsExactlyInAnyOrder("id", "polling_url", "cost", "input_mp", "output_mp");
        assertThat(submitted.body().path("cost").asDouble()).isEqualTo(3.0);
        assertThat(submitted.body().path("output_mp").asDouble()).isEqualTo(0.02);
        assertThat(submitted.body().path("input_mp").asDouble()).isEqualTo(0.0);

        List<String> seen = new ArrayList<>();
        JsonNode ready = poll(submitted.body().path("polling_url").asString(), seen);
        assertThat(seen).as("statuses seen").first().isEqualTo("Pending");
        assertThat(ready.path("status").asString()).as(ready.toString()).isEqualTo("Ready");
        assertThat(ready.path("id").asString()).isEqualTo(submitted.body().path("id").asString());
        JsonNode result = ready.path("result");
        assertThat(result.path("seed").asLong()).isEqualTo(42);
        assertThat(result.path("prompt").asString()).startsWith("A cat on its back legs");
        BufferedImage image = Sdk.decode(gateway.download(result.path("sample").asString()));
        assertThat(image.getWidth()).isEqualTo(128);
        assertThat(gateway.download(result.path("sample").asString())).startsWith(0xff, 0xd8);
    }

    @Test
    void aFlexBodyWithStepsGuidanceAndBflsOptionalFieldsIsAccepted() {
        // steps and guidance are flex's; unknown fields (transparent_bg, disable_pup) are ignored, as BFL does.
        var flex = gateway.post("/v1/flux-2-flex", RunningPlatform.API_KEY, """
                {"prompt": "a watercolor fox", "width": 128, "height": 128, "steps": 6, "guidance": 4.5,
                 "seed": null, "prompt_upsampling": false, "safety_tolerance": 2, "output_format": "png",
                 "transparent_bg": false, "disable_pup": true}""");
        assertThat(flex.status()).as(flex.body().toString()).isEqualTo(200);
        JsonNode done = poll(flex.body().path("polling_url").asString(), new ArrayList<>());
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("Ready");
        assertThat(done.path("result").path("seed").isNumber()).as("a drawn seed").isTrue();
        assertThat(Sdk.decode(gateway.download(done.path("result").path("sample").asString())).getWidth()).isEqualTo(128);
    }

    @Test
    void aKleinBodyAskingForWebpGetsAWebpImage() {
        // output_format webp is in BFL's SDK enum and in the gateway's output-formats.
        var klein = gateway.post("/v1/flux-2-klein-4b", RunningPlatform.API_KEY, """
                {"prompt": "a tiny robot", "width": 128, "height": 96, "output_format": "webp"}""");
        assertThat(klein.status()).as(klein.body().toString()).isEqualTo(200);
        JsonNode done = poll(klein.body().path("polling_url").asString(), new ArrayList<>());
        assertThat(done.path("status").asString()).as(done.toString()).isEqualTo("Ready");
        byte[] webp = gateway.download(done.path("result").path("sample").asString());
        assertThat(new String(webp, 0, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("RIFF");
        assertThat(new String(webp, 8, 4, java.nio.charset.StandardCharsets.US_ASCII)).isEqualTo("WEBP");
    }

    @Test
    void aModeratedPromptGivesRequestModeratedWithDetails() {
        var submitted = gateway.post("/v1/flux-2-pro", RunningPlatform.API_KEY, """
                {"prompt": "a nude figure on a beach", "safety_tolerance": 2, "width": 128, "height": 128}""");
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(200);
        JsonNode moderated = poll(submitted.body().path("polling_url").asString(), new ArrayList<>());
        assertThat(moderated.path("status").asString()).as(moderated.toString()).isEqualTo("Request Moderated");
        assertThat(moderated.path("result").isNull() || moderated.path("result").isMissingNode()).isTrue();
        JsonNode reasons = moderated.path("details").path("Moderation Reasons");
        assertThat(reasons.isArray()).as(moderated.toString()).isTrue();
        assertThat(reasons.toString()).contains("nudity");
    }

    @Test
    void aBflErrorIsAProblemWithTheField() {
        var reply = gateway.post("/v1/flux-2-flex", RunningPlatform.API_KEY, """
                {"prompt": "too many steps", "steps": 51}""");
        assertThat(reply.status()).isEqualTo(422);
        assertThat(reply.body().path("field").asString()).isEqualTo("steps");
    }

    private static JsonNode poll(String pollingUrl, List<String> seen) {
        Instant deadline = Instant.now().plus(Duration.ofSeconds(120));
        while (Instant.now().isBefore(deadline)) {
            JsonNode body = gateway.get(pollingUrl, RunningPlatform.API_KEY).body();
            String status = body.path("status").asString();
            if (seen.isEmpty() || !seen.get(seen.size() - 1).equals(status)) {
                seen.add(status);
            }
            if (!"Pending".equals(status)) {
                return body;
            }
            Sdk.sleep(100);
        }
        throw new AssertionError("Still pending after 120 s: " + pollingUrl);
    }

    private static List<String> names(JsonNode node) {
        List<String> names = new ArrayList<>();
        node.propertyNames().forEach(names::add);
        return names;
    }
}
