package io.flux2.gateway;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.http.MediaType;

/** Every rule a request can break answers 422 as a problem naming the field and, where one applies, the limit. */
class SubmitValidationTest extends GatewayTestBase {

    static Stream<Arguments> violations() {
        return Stream.of(
                // route, extra fields, field, limit (null: none)
                Arguments.of("flux-2-flex", Map.of("width", 70), "width", 16),
                Arguments.of("flux-2-flex", Map.of("width", 10), "width", 64),
                Arguments.of("flux-2-flex", Map.of("height", 4112), "height", 4096),
                Arguments.of("flux-2-pro", Map.of("width", 2560, "height", 2048), "width*height", 4.0),
                Arguments.of("flux-2-flex", Map.of("width", "wide"), "width", null),
                Arguments.of("flux-2-flex", Map.of("width", 128.5), "width", null),
                Arguments.of("flux-2-flex", Map.of("steps", 51), "steps", 50),
                Arguments.of("flux-2-flex", Map.of("steps", 0), "steps", 1),
                Arguments.of("flux-2-flex", Map.of("guidance", 12), "guidance", 10.0),
                Arguments.of("flux-2-flex", Map.of("guidance", 1.0), "guidance", 1.5),
                Arguments.of("flux-2-dev", Map.of("guidance", 10.5), "guidance", 10.0),
                Arguments.of("flux-2-flex", Map.of("output_format", "gif"), "output_format", List.of("png", "jpeg", "webp")),
                Arguments.of("flux-2-klein-4b", Map.of("safety_tolerance", 5), "safety_tolerance", 4),
                Arguments.of("flux-2-flex", Map.of("webhook_url", "ftp://example.test/hook"), "webhook_url", null),
                Arguments.of("flux-2-flex", Map.of("webhook_secret", "s3cret"), "webhook_secret", null),
                Arguments.of("flux-2-flex", Map.of("webhook_url", "https://hooks.example.com/a",
                        "webhook_secret", "s".repeat(201)), "webhook_secret", 200),
                Arguments.of("flux-2-flex", Map.of("prompt_upsampling", "yes"), "prompt_upsampling", null),
                Arguments.of("flux-2-klein-4b", Map.of("input_image", "https://img.test/a.png",
                        "input_image_2", "https://img.test/b.png", "input_image_3", "https://img.test/c.png",
                        "input_image_4", "https://img.test/d.png", "input_image_5", "https://img.test/e.png"),
                        "input_image_5", 4),
                Arguments.of("flux-2-flex", Map.of("safety_tolerance", 7), "safety_tolerance", 6),
                Arguments.of("flux-2-flex", Map.of("safety_tolerance", -1), "safety_tolerance", 0),
                Arguments.of("flux-2-flex", Map.of("seed", -1), "seed", 0),
                Arguments.of("flux-2-flex", Map.of("seed", 4294967296L), "seed", 4294967295L),
                Arguments.of("flux-2-flex", Map.of("prompt", "   "), "prompt", null),
                Arguments.of("flux-2-flex", Map.of("prompt", 42), "prompt", null),
                Arguments.of("flux-2-flex", Map.of("prompt", "x".repeat(32001)), "prompt", 32000));
    }

    @ParameterizedTest(name = "{0} {1} -> {2}")
    @MethodSource("violations")
    void violationIsAProblemNamingFieldAndLimit(String route, Map<String, Object> fields, String field, Object limit) {
        Map<String, Object> body = new HashMap<>(prompt("a lighthouse at dusk"));
        body.putAll(fields);
        int before = SERVICES.received("POST", "/internal/jobs").size();
        var json = submit(route, body)
                .expectStatus().isEqualTo(422)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(422)
                .jsonPath("$.field").isEqualTo(field)
                .jsonPath("$.detail").exists();
        if (limit == null) {
            json.jsonPath("$.limit").doesNotExist();
        } else {
            json.jsonPath("$.limit").isEqualTo(limit);
        }
        org.assertj.core.api.Assertions.assertThat(SERVICES.received("POST", "/internal/jobs")).hasSize(before);
    }

    @Test
    void missingPromptIsAProblem() {
        submit("flux-2-pro", Map.of("width", 128)).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("prompt");
    }

    @Test
    void emptyBodyIsAMissingPrompt() {
        web.post().uri("/v1/flux-2-pro").header("x-key", BOOTSTRAP_KEY).contentType(MediaType.APPLICATION_JSON)
                .exchange()
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("prompt");
    }

    @Test
    void unreadableJsonIsAProblemNotAServerError() {
        web.post().uri("/v1/flux-2-pro").header("x-key", BOOTSTRAP_KEY).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"prompt\": ")
                .exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void fixedValuesMayBeRepeated() {
        submit("flux-2-klein-4b", Map.of("prompt", "a fox", "steps", 4, "guidance", 1)).expectStatus().isOk();
    }
}
