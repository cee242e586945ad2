package io.flux2.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import tools.jackson.databind.JsonNode;

/** BFL's /v1 with references, webhooks and the issue 4 fields. */
class BflReferencesTest extends GatewayTestBase {

    @Test
    void referencesAreStoredInOrderAndTheSizeComesFromTheLastOne() {
        String small = Base64.getEncoder().encodeToString(FakeServices.png(64, 48));
        int assetCallsBefore = SERVICES.received("POST", "/internal/assets/references").size();
        var response = submit("flux-2-pro", Map.of("prompt", "combine these", "input_image",
                "https://img.test/a-640x480.png", "input_image_2", small, "input_image_3",
                "https://img.test/c-1200x800.png"))
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();

        var assetCalls = SERVICES.received("POST", "/internal/assets/references");
        assertThat(assetCalls).hasSize(assetCallsBefore + 3);
        var mine = assetCalls.subList(assetCallsBefore, assetCalls.size());
        assertThat(mine).extracting(r -> r.body().get("source").asString())
                .containsExactly("https://img.test/a-640x480.png", small, "https://img.test/c-1200x800.png");
        assertThat(mine).allSatisfy(r -> assertThat(r.body().get("tenantId").asString()).isEqualTo(TENANT));

        JsonNode request = SERVICES.lastCreate().get("request");
        List<String> refs = request.get("references").valueStream().map(JsonNode::asString).toList();
        assertThat(refs).hasSize(3);
        assertThat(SERVICES.assets.get(refs.get(0)).get("width").asInt()).isEqualTo(640);
        assertThat(SERVICES.assets.get(refs.get(1)).get("width").asInt()).isEqualTo(64);
        assertThat(SERVICES.assets.get(refs.get(2)).get("width").asInt()).isEqualTo(1200);
        assertThat(request.get("width").asInt()).isEqualTo(1200);
        assertThat(request.get("height").asInt()).isEqualTo(800);
        // 0.29 + 0.003 + 0.92 = 1.21 input MP (of 1024x1024 pixels): 2 started MP at 1.5, plus 3 for the 0.92 MP
        // output.
        assertThat(response.get("input_mp").asDouble()).isEqualTo(1.21);
        assertThat(response.get("output_mp").asDouble()).isEqualTo(0.92);
        assertThat(response.get("cost").asDouble()).isEqualTo(6.0);
    }

    @Test
    void aLargeReferenceIsScaledToTheTiersMegapixelsOnTheSizeGrid() {
        submit("flux-2-pro", Map.of("prompt", "edit", "input_image", "https://img.test/big-4000x3000.png"))
                .expectStatus().isOk();
        JsonNode request = SERVICES.lastCreate().get("request");
        assertThat(request.get("width").asInt()).isEqualTo(2352);
        assertThat(request.get("height").asInt()).isEqualTo(1760);
    }

    @Test
    void anExplicitSizeWinsOverTheReferences() {
        submit("flux-2-flex", Map.of("prompt", "edit", "input_image", "https://img.test/x-640x480.png",
                "width", 256, "height", 128)).expectStatus().isOk();
        JsonNode request = SERVICES.lastCreate().get("request");
        assertThat(request.get("width").asInt()).isEqualTo(256);
        assertThat(request.get("height").asInt()).isEqualTo(128);
        assertThat(request.get("references")).hasSize(1);
    }

    @Test
    void moreReferencesThanTheTierTakesIsAProblemNamingTheFieldAndLimit() {
        Map<String, Object> body = new HashMap<>(prompt("too many"));
        body.put("input_image", "https://img.test/1-64x64.png");
        for (int i = 2; i <= 9; i++) {
            body.put("input_image_" + i, "https://img.test/" + i + "-64x64.png");
        }
        int assetCallsBefore = SERVICES.received("POST", "/internal/assets/references").size();
        submit("flux-2-pro", body).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("input_image_9").jsonPath("$.limit").isEqualTo(8);
        assertThat(SERVICES.received("POST", "/internal/assets/references")).hasSize(assetCallsBefore);
    }

    @Test
    void aReferenceAssetServiceRefusesIsAProblemNamingTheClientsField() {
        int before = SERVICES.received("POST", "/internal/jobs").size();
        submit("flux-2-pro", Map.of("prompt", "edit", "input_image", "https://img.test/ok-64x64.png",
                "input_image_2", "bad-bytes"))
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("input_image_2")
                .jsonPath("$.detail").value(d -> assertThat((String) d).contains("source is not an image"));
        assertThat(SERVICES.received("POST", "/internal/jobs")).hasSize(before);
    }

    /**
     * A retry of a committed submit is answered from the job: its price comes from the references the job keeps
     * as asset ids, and the client's reference URL (which may have expired meanwhile) is not fetched again.
     */
    @Test
    void aRetriedSubmitWithReferencesIsAnsweredWithoutFetchingThemAgain() {
        String url = "https://img.test/retry-" + UUID.randomUUID() + "-64x64.png";
        Map<String, Object> body = Map.of("prompt", "edit it", "input_image", url);
        String key = "retry-refs-" + UUID.randomUUID();
        JsonNode first = web.post().uri("/v1/flux-2-pro").header("x-key", BOOTSTRAP_KEY).header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isOk().expectBody(JsonNode.class).returnResult().getResponseBody();
        long fetches = SERVICES.received("POST", "/internal/assets/references").stream()
                .filter(r -> url.equals(r.body().path("source").asString(null))).count();

        JsonNode retry = web.post().uri("/v1/flux-2-pro").header("x-key", BOOTSTRAP_KEY).header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isOk().expectHeader().valueEquals("Idempotent-Replayed", "true")
                .expectBody(JsonNode.class).returnResult().getResponseBody();

        assertThat(retry.get("id")).isEqualTo(first.get("id"));
        assertThat(retry.get("cost")).isEqualTo(first.get("cost"));
        assertThat(retry.get("input_mp")).isEqualTo(first.get("input_mp"));
        assertThat(SERVICES.received("POST", "/internal/assets/references").stream()
                .filter(r -> url.equals(r.body().path("source").asString(null))).count()).isEqualTo(fetches);
    }

    /** asset-service's limit reaches the client, and a too-large image stays a 413. */
    @Test
    void aRefusedReferenceCarriesAssetServicesLimitAndStatus() {
        submit("flux-2-pro", Map.of("prompt", "edit", "input_image", "huge-bytes"))
                .expectStatus().isEqualTo(413)
                .expectBody().jsonPath("$.field").isEqualTo("input_image").jsonPath("$.limit").isEqualTo(20971520);
        submit("flux-2-pro", Map.of("prompt", "edit", "input_image", "wide-bytes"))
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("input_image").jsonPath("$.limit").isEqualTo(8192);
    }

    @Test
    void webhookUpsamplingAndWebpAreForwarded() {
        submit("flux-2-flex", Map.of("prompt", "a fox", "webhook_url", "https://hooks.test/done",
                "webhook_secret", "whsec_c2VjcmV0", "prompt_upsampling", true, "output_format", "webp"))
                .expectStatus().isOk();
        JsonNode sent = SERVICES.lastCreate();
        assertThat(sent.get("webhook").get("url").asString()).isEqualTo("https://hooks.test/done");
        assertThat(sent.get("webhook").get("secret").asString()).isEqualTo("whsec_c2VjcmV0");
        assertThat(sent.get("request").get("promptUpsampling").asBoolean()).isTrue();
        assertThat(sent.get("request").get("outputFormat").asString()).isEqualTo("webp");
        assertThat(sent.get("cost").asDouble()).isEqualTo(5.0);
        assertThat(sent.get("activeJobLimit").asInt()).isEqualTo(100000);
        assertThat(sent.get("apiKeyId").asString()).isNotBlank();
    }

    @Test
    void jobServicesWebhookRefusalNamesTheBflField() {
        submit("flux-2-pro", Map.of("prompt", "a fox", "webhook_url", "http://127.0.0.1/hook"))
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("webhook_url")
                .jsonPath("$.detail").isEqualTo("webhook.url points at a private address");
        v2("POST", "/v2/jobs", Map.of("tier", "pro", "prompt", "a fox", "webhook", Map.of("url",
                "http://127.0.0.1/hook")), BOOTSTRAP_KEY)
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("webhook.url");
    }

    @Test
    void aCancelledJobReadsAsErrorWithDetails() {
        var job = SERVICES.job(TENANT, "CANCELLED").put("stepsRun", 12);
        getResult(job.get("id").asString(), BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.status").isEqualTo("Error")
                .jsonPath("$.details.cancelled").isEqualTo(true)
                .jsonPath("$.details.steps_run").isEqualTo(12);
    }

    @Test
    void bearerAuthorizationWorksLikeXKey() {
        web.get().uri("/v1/get_result?id=nothing").header("Authorization", "Bearer " + BOOTSTRAP_KEY).exchange()
                .expectStatus().isOk().expectBody().jsonPath("$.status").isEqualTo("Task not found");
    }
}
