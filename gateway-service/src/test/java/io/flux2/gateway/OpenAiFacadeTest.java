package io.flux2.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;
import tools.jackson.databind.JsonNode;

/** OpenAI's Images API shape over the job engine. */
class OpenAiFacadeTest extends GatewayTestBase {

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec generations(Object body) {
        return web.post().uri("/v1/images/generations").header("Authorization", "Bearer " + BOOTSTRAP_KEY)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange();
    }

    @Test
    void generationsWaitsAndAnswersTheImageAsBase64() {
        var answer = generations(Map.of("prompt", "[ready] a fox in the snow", "model", "gpt-image-1",
                "size", "1024x768", "n", 1))
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        assertThat(answer.get("created").asLong()).isPositive();
        assertThat(answer.get("data")).hasSize(1);
        byte[] image = Base64.getDecoder().decode(answer.get("data").get(0).get("b64_json").asString());
        assertThat(image).isEqualTo(FakeServices.OUTPUT_PNG);
        JsonNode sent = SERVICES.lastCreate();
        assertThat(sent.get("tier").asString()).isEqualTo("pro");
        assertThat(sent.get("request").get("width").asInt()).isEqualTo(1024);
        assertThat(sent.get("request").get("height").asInt()).isEqualTo(768);
    }

    @Test
    void severalImagesAreSeveralJobsAndUrlsOnRequest() {
        int before = SERVICES.received("POST", "/internal/jobs").size();
        generations(Map.of("prompt", "[ready] two foxes", "model", "flux-2-klein-4b", "n", 2,
                "response_format", "url"))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.data.length()").isEqualTo(2)
                .jsonPath("$.data[0].url").value(url -> assertThat((String) url).startsWith("http://assets.test/outputs/"));
        var creates = SERVICES.received("POST", "/internal/jobs").subList(before,
                SERVICES.received("POST", "/internal/jobs").size());
        assertThat(creates).filteredOn(r -> r.path().equals("/internal/jobs")).hasSize(2)
                .allSatisfy(r -> assertThat(r.body().get("tier").asString()).isEqualTo("klein"));
    }

    @Test
    void editsTakeMultipartImagesAsReferencesInOrder() {
        byte[] first = FakeServices.png(64, 48);
        byte[] second = FakeServices.png(96, 64);
        MultipartBodyBuilder parts = new MultipartBodyBuilder();
        parts.part("image[]", new ByteArrayResource(first) {
            @Override
            public String getFilename() {
                return "one.png";
            }
        }).contentType(MediaType.IMAGE_PNG);
        parts.part("image[]", new ByteArrayResource(second) {
            @Override
            public String getFilename() {
                return "two.png";
            }
        }).contentType(MediaType.IMAGE_PNG);
        parts.part("prompt", "[ready] make them one");
        parts.part("model", "flex");
        var answer = web.post().uri("/v1/images/edits").header("Authorization", "Bearer " + BOOTSTRAP_KEY)
                .contentType(MediaType.MULTIPART_FORM_DATA).body(BodyInserters.fromMultipartData(parts.build()))
                .exchange()
                .expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        assertThat(Base64.getDecoder().decode(answer.get("data").get(0).get("b64_json").asString()))
                .isEqualTo(FakeServices.OUTPUT_PNG);
        JsonNode request = SERVICES.lastCreate().get("request");
        List<String> refs = request.get("references").valueStream().map(JsonNode::asString).toList();
        assertThat(refs).hasSize(2);
        assertThat(SERVICES.assetBytes.get(refs.get(0))).isEqualTo(first);
        assertThat(SERVICES.assetBytes.get(refs.get(1))).isEqualTo(second);
        // No size: the last reference's.
        assertThat(request.get("width").asInt()).isEqualTo(96);
        assertThat(request.get("height").asInt()).isEqualTo(64);
    }

    @Test
    void errorsUseOpenAisShape() {
        web.post().uri("/v1/images/generations").contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("prompt", "x")).exchange()
                .expectStatus().isUnauthorized()
                .expectBody().jsonPath("$.error.code").isEqualTo("invalid_api_key")
                .jsonPath("$.error.type").isEqualTo("invalid_request_error");
        generations(Map.of("prompt", "x", "size", "huge")).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.param").isEqualTo("size").jsonPath("$.error.message").exists();
        generations(Map.of("prompt", "x", "size", "4096x4096")).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.param").isEqualTo("size");
        generations(Map.of("prompt", "x", "model", "no-such-model")).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.param").isEqualTo("model")
                .jsonPath("$.error.code").isEqualTo("model_not_found");
        generations(Map.of("model", "pro")).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.param").isEqualTo("prompt");
        generations(Map.of("prompt", "x", "n", 9)).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.param").isEqualTo("n");
        generations(Map.of("prompt", "[moderated] x")).expectStatus().isBadRequest()
                .expectBody().jsonPath("$.error.code").isEqualTo("moderation_blocked")
                .jsonPath("$.error.message").value(m -> assertThat((String) m).contains("Protected Content"));
    }

    /** A DALL·E model answers a URL when the request names no response_format, as OpenAI's does. */
    @Test
    void dallEModelsAnswerAUrlByDefault() {
        generations(Map.of("prompt", "[ready] a fox for dall-e", "model", "dall-e-2"))
                .expectStatus().isOk()
                .expectBody()
                .jsonPath("$.data[0].url").value(url -> assertThat((String) url).startsWith("http://assets.test/outputs/"))
                .jsonPath("$.data[0].b64_json").doesNotExist();
    }

    /** The third of three images meets the key's rate limit: the client gets the 429 and the two made are cancelled. */
    @Test
    void whenOneOfSeveralImagesIsRefusedTheJobsAlreadyMadeAreCancelled() {
        String key = tenantWithKey(unique("openai-n"), Map.of(),
                Map.of("rate_limit", Map.of("burst", 2, "per_minute", 1)));
        int before = SERVICES.received("POST", "/internal/jobs").size();
        web.post().uri("/v1/images/generations").header("Authorization", "Bearer " + key)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("prompt", "three foxes", "model", "flux-2-klein-4b", "n", 3)).exchange()
                .expectStatus().isEqualTo(429);
        var calls = SERVICES.received("POST", "/internal/jobs");
        calls = calls.subList(before, calls.size());
        assertThat(calls).filteredOn(r -> r.path().equals("/internal/jobs")).hasSize(2);
        assertThat(calls).filteredOn(r -> r.path().endsWith("/cancel")).hasSize(2);
    }

    /** A body that is not multipart gets OpenAI's error shape, as every other answer of the facade. */
    @Test
    void anEditThatIsNotMultipartIsRefusedInOpenAisShape() {
        web.post().uri("/v1/images/edits").header("Authorization", "Bearer " + BOOTSTRAP_KEY)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(Map.of("prompt", "a fox", "image", "x")).exchange()
                .expectStatus().isEqualTo(415)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody()
                .jsonPath("$.error.type").isEqualTo("invalid_request_error")
                .jsonPath("$.error.code").isEqualTo("unsupported_media_type");
    }

    @Test
    void anUnfinishedJobIsCancelledWhenTheWaitIsOver() {
        generations(Map.of("prompt", "a fox that never finishes")).expectStatus().isEqualTo(504)
                // The SDKs would otherwise retry it twice, each time queueing a new job.
                .expectHeader().valueEquals("x-should-retry", "false")
                .expectBody().jsonPath("$.error.code").isEqualTo("timeout");
        var cancels = SERVICES.received("POST", "/internal/jobs/");
        assertThat(cancels.get(cancels.size() - 1).path()).endsWith("/cancel");
    }
}
