package io.flux2.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** The native /v2 API against the fake job-service and asset-service. */
class V2JobsTest extends GatewayTestBase {

    private static Map<String, Object> job(String tier, String prompt) {
        Map<String, Object> body = new HashMap<>();
        body.put("tier", tier);
        body.put("prompt", prompt);
        return body;
    }

    private JsonNode create(Map<String, Object> body) {
        return v2("POST", "/v2/jobs", body, BOOTSTRAP_KEY).expectStatus().isCreated()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
    }

    @Test
    void createsAJobWithReferencesWebhookAndEveryField() {
        Map<String, Object> body = job("flex", "a lighthouse");
        body.putAll(Map.of("references", List.of("https://img.test/r1-320x240.png", "https://img.test/r2-640x480.png"),
                "seed", 42, "steps", 20, "guidance", 3.5, "output_format", "jpeg", "safety_tolerance", 3,
                "prompt_upsampling", true, "webhook", Map.of("url", "https://hooks.test/v2", "secret", "s3cret")));
        var created = v2("POST", "/v2/jobs", body, BOOTSTRAP_KEY).expectStatus().isCreated()
                .expectHeader().valueMatches("Location", "/v2/jobs/.+")
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        assertThat(created.get("status").asString()).isEqualTo("awaiting_safety");
        assertThat(created.get("tier").asString()).isEqualTo("flex");
        assertThat(created.get("recipe").get("references")).hasSize(2);
        assertThat(created.get("recipe").get("width").asInt()).isEqualTo(640);
        assertThat(created.get("input_mp").asDouble()).isEqualTo(0.37);
        JsonNode sent = SERVICES.lastCreate();
        assertThat(sent.get("request").get("seed").asLong()).isEqualTo(42);
        assertThat(sent.get("request").get("steps").asInt()).isEqualTo(20);
        assertThat(sent.get("request").get("promptUpsampling").asBoolean()).isTrue();
        assertThat(sent.get("webhook").get("url").asString()).isEqualTo("https://hooks.test/v2");
        assertThat(sent.get("webhook").get("secret").asString()).isEqualTo("s3cret");
        assertThat(sent.get("idempotencyKey")).isNull();
    }

    @Test
    void unknownFieldIsAProblemNamingIt() {
        Map<String, Object> body = job("pro", "a fox");
        body.put("input_image", "https://img.test/a.png");
        v2("POST", "/v2/jobs", body, BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.field").isEqualTo("input_image");
        v2("POST", "/v2/jobs", Map.of("tier", "pro", "prompt", "x", "webhook", Map.of("url", "https://h.test",
                "events", "all")), BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("webhook.events");
        v2("POST", "/v2/jobs", job("ultra", "a fox"), BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("tier");
        Map<String, Object> tooMany = job("klein", "a fox");
        tooMany.put("references", List.of("https://a.test/1.png", "https://a.test/2.png", "https://a.test/3.png",
                "https://a.test/4.png", "https://a.test/5.png"));
        v2("POST", "/v2/jobs", tooMany, BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("references").jsonPath("$.limit").isEqualTo(4);
    }

    /** /v2 says what it will not do: a fixed tier's steps or guidance asked otherwise is a 422 naming the value. */
    @Test
    void aFixedTiersOtherStepsOrGuidanceIsAProblem() {
        Map<String, Object> steps = job("pro", "a fox");
        steps.put("steps", 20);
        v2("POST", "/v2/jobs", steps, BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("steps").jsonPath("$.limit").isEqualTo(50);
        Map<String, Object> guidance = job("klein", "a fox");
        guidance.put("guidance", 3.5);
        v2("POST", "/v2/jobs", guidance, BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("guidance").jsonPath("$.limit").isEqualTo(1.0);
    }

    @Test
    void idempotencyKeyAndHashPassThroughAndJobServicesAnswersComeBack() {
        String key = unique("idem");
        Map<String, Object> body = job("pro", "an idempotent fox");
        var first = web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isCreated()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        JsonNode sent = SERVICES.lastCreate();
        assertThat(sent.get("idempotencyKey").asString()).isEqualTo(key);
        String hash = sent.get("requestHash").asString();
        assertThat(hash).matches("[0-9a-f]{64}");

        // The same body with its members in another order is the same request.
        Map<String, Object> reordered = new java.util.LinkedHashMap<>();
        reordered.put("prompt", "an idempotent fox");
        reordered.put("tier", "pro");
        web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(reordered).exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("Idempotent-Replayed", "true")
                .expectBody().jsonPath("$.id").isEqualTo(first.get("id").asString());
        assertThat(SERVICES.lastCreate().get("requestHash").asString()).isEqualTo(hash);
        // So is one that writes a number another way or spells out a null the first left out.
        web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"tier\": \"pro\", \"prompt\": \"an idempotent fox\", \"seed\": null}").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.id").isEqualTo(first.get("id").asString());
        String decimalKey = unique("idem-decimal");
        String firstDecimal = web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY)
                .header("Idempotency-Key", decimalKey).contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"tier\": \"flex\", \"prompt\": \"a decimal fox\", \"guidance\": 4.0}").exchange()
                .expectStatus().isCreated()
                .expectBody(JsonNode.class).returnResult().getResponseBody().get("id").asString();
        web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Idempotency-Key", decimalKey)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue("{\"tier\": \"flex\", \"prompt\": \"a decimal fox\", \"guidance\": 4}").exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.id").isEqualTo(firstDecimal);

        web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(job("pro", "another fox")).exchange()
                .expectStatus().isEqualTo(422)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.field").isEqualTo("Idempotency-Key");

        web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Idempotency-Key", "inflight-" + key)
                .contentType(MediaType.APPLICATION_JSON).bodyValue(body).exchange()
                .expectStatus().isEqualTo(409)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void preferWaitAnswersTheFinishedJob() {
        web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Prefer", "wait=30")
                .contentType(MediaType.APPLICATION_JSON).bodyValue(job("pro", "[ready] a quick fox")).exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("Preference-Applied", "wait=5")
                .expectBody()
                .jsonPath("$.status").isEqualTo("ready")
                .jsonPath("$.result.url").value(url -> assertThat((String) url).startsWith("http://assets.test/outputs/"))
                .jsonPath("$.result.width").isEqualTo(48);
    }

    /** RFC 7240's spellings: white space around "=", a quoted value; a wait past any limit is the longest allowed. */
    @Test
    void preferWaitIsReadInEveryValidSpelling() {
        for (String prefer : List.of("wait = 1", "respond-async; wait=\"1\"")) {
            web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Prefer", prefer)
                    .contentType(MediaType.APPLICATION_JSON).bodyValue(job("pro", "a slow fox")).exchange()
                    .expectStatus().isAccepted()
                    .expectHeader().valueEquals("Preference-Applied", "wait=1");
        }
        web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Prefer", "wait=99999999999999999999")
                .contentType(MediaType.APPLICATION_JSON).bodyValue(job("pro", "[ready] a patient fox")).exchange()
                .expectStatus().isOk()
                .expectHeader().valueEquals("Preference-Applied", "wait=5");
    }

    @Test
    void preferWaitAnswers202WhenTheJobIsNotDoneInTime() {
        web.post().uri("/v2/jobs").header("x-key", BOOTSTRAP_KEY).header("Prefer", "respond-async, wait=1")
                .contentType(MediaType.APPLICATION_JSON).bodyValue(job("pro", "a slow fox")).exchange()
                .expectStatus().isAccepted()
                .expectHeader().valueEquals("Preference-Applied", "wait=1")
                .expectBody().jsonPath("$.status").isEqualTo("awaiting_safety");
    }

    @Test
    void getListAndCancel() {
        create(job("pro", "a fox listed with it")); // two jobs at least, whichever tests ran before, for a second page
        String id = create(job("pro", "a fox to cancel")).get("id").asString();
        v2("GET", "/v2/jobs/" + id, null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.id").isEqualTo(id).jsonPath("$.links.events").isEqualTo("/v2/jobs/" + id + "/events");
        v2("GET", "/v2/jobs?limit=1", null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.items.length()").isEqualTo(1).jsonPath("$.next_cursor").isEqualTo("1");
        var list = SERVICES.received("GET", "/internal/jobs");
        assertThat(list.get(list.size() - 1).query()).containsEntry("limit", "1").containsEntry("tenantId", TENANT);
        v2("GET", "/v2/jobs?limit=1&cursor=1", null, BOOTSTRAP_KEY).expectStatus().isOk();
        list = SERVICES.received("GET", "/internal/jobs");
        assertThat(list.get(list.size() - 1).query()).containsEntry("cursor", "1");
        v2("GET", "/v2/jobs?limit=1000", null, BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("limit").jsonPath("$.limit").isEqualTo(100);
        v2("GET", "/v2/jobs?limit=0", null, BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("limit").jsonPath("$.limit").isEqualTo(1);

        v2("POST", "/v2/jobs/" + id + "/cancel", null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("cancelled");
        v2("POST", "/v2/jobs/" + id + "/cancel", null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("cancelled");
        ObjectNode done = SERVICES.job(TENANT, "RUNNING");
        SERVICES.finish(done);
        v2("POST", "/v2/jobs/" + done.get("id").asString() + "/cancel", null, BOOTSTRAP_KEY).expectStatus()
                .isEqualTo(409).expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        v2("POST", "/v2/jobs/no-such-job/cancel", null, BOOTSTRAP_KEY).expectStatus().isNotFound();
    }

    @Test
    void eventsAreProxiedAndResumeAfterLastEventId() {
        String id = create(job("pro", "a streamed fox")).get("id").asString();
        var events = web.get().uri("/v2/jobs/" + id + "/events").header("x-key", BOOTSTRAP_KEY)
                .header("Last-Event-ID", "2").accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.TEXT_EVENT_STREAM)
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() {
                })
                .getResponseBody().collectList().block(Duration.ofSeconds(10));
        // job-service's keepalive passes on as a comment, so idle proxies keep a queued job's stream open.
        assertThat(events.get(0).comment()).isEqualTo("keepalive");
        assertThat(events.get(0).data()).isNull();
        events = events.subList(1, events.size());
        assertThat(events).extracting(ServerSentEvent::id).containsExactly("3", "4", "5");
        assertThat(events).extracting(ServerSentEvent::event).containsExactly("progress", "progress", "succeeded");
        assertThat(events.get(0).data()).contains("\"step\":1");
        var upstream = SERVICES.received("GET", "/internal/jobs/" + id + "/events/stream");
        assertThat(upstream.get(upstream.size() - 1).query()).containsEntry("after", "2").containsEntry("tenantId", TENANT);

        var all = web.get().uri("/v2/jobs/" + id + "/events").header("x-key", BOOTSTRAP_KEY).exchange()
                .expectStatus().isOk()
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() {
                })
                .getResponseBody().collectList().block(Duration.ofSeconds(10));
        assertThat(all).filteredOn(event -> event.event() != null).hasSize(5);
    }

    /** An EventSource resuming a finished job after its last event gets 204, the SSE answer to stop reconnecting. */
    @Test
    void aFinishedJobResumedAfterItsLastEventAnswers204() {
        String id = create(job("pro", "a finished fox")).get("id").asString();
        SERVICES.jobs.get(id).put("status", "READY");
        web.get().uri("/v2/jobs/" + id + "/events").header("x-key", BOOTSTRAP_KEY).header("Last-Event-ID", "5")
                .accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isNoContent();
        var rest = web.get().uri("/v2/jobs/" + id + "/events").header("x-key", BOOTSTRAP_KEY)
                .header("Last-Event-ID", "4").accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isOk()
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<String>>() {
                })
                .getResponseBody().collectList().block(Duration.ofSeconds(10));
        assertThat(rest).extracting(ServerSentEvent::event).containsExactly("succeeded");
    }

    @Test
    void resultIsAFreshUrlWhileTheImageLives() {
        var job = SERVICES.job(TENANT, "READY");
        job.putObject("result").put("assetId", "asset-live").put("seed", 7).put("width", 128).put("height", 128)
                .put("contentType", "image/png");
        v2("GET", "/v2/jobs/" + job.get("id").asString() + "/result", null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.url").isEqualTo("http://assets.test/outputs/asset-live?X-Amz-Expires=600")
                .jsonPath("$.expires_at").exists();

        var gone = SERVICES.job(TENANT, "READY");
        gone.putObject("result").put("assetId", "asset-gone").put("seed", 7);
        SERVICES.missingAssets.add("asset-gone");
        v2("GET", "/v2/jobs/" + gone.get("id").asString() + "/result", null, BOOTSTRAP_KEY)
                .expectStatus().isEqualTo(410);

        var pending = SERVICES.job(TENANT, "RUNNING");
        v2("GET", "/v2/jobs/" + pending.get("id").asString() + "/result", null, BOOTSTRAP_KEY)
                .expectStatus().isEqualTo(409);
        var moderated = SERVICES.job(TENANT, "CONTENT_MODERATED");
        v2("GET", "/v2/jobs/" + moderated.get("id").asString() + "/result", null, BOOTSTRAP_KEY)
                .expectStatus().isNotFound();
    }

    @Test
    void recipeAndReplay() {
        Map<String, Object> body = job("flex", "a recipe fox");
        body.putAll(Map.of("references", List.of("https://img.test/r-256x256.png"), "seed", 99, "steps", 12,
                "guidance", 2.5, "output_format", "png"));
        String id = create(body).get("id").asString();
        var recipe = v2("GET", "/v2/jobs/" + id + "/recipe", null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        assertThat(recipe.get("tier").asString()).isEqualTo("flex");
        assertThat(recipe.get("model").asString()).isEqualTo("tiny");
        assertThat(recipe.get("prompt").asString()).isEqualTo("a recipe fox");
        assertThat(recipe.get("seed").asLong()).isEqualTo(99);
        assertThat(recipe.get("steps").asInt()).isEqualTo(12);
        assertThat(recipe.get("guidance").asDouble()).isEqualTo(2.5);
        assertThat(recipe.get("width").asInt()).isEqualTo(256);
        assertThat(recipe.get("output_format").asString()).isEqualTo("png");
        assertThat(recipe.get("safety_tolerance").asInt()).isEqualTo(2);
        assertThat(recipe.get("prompt_upsampling").asBoolean()).isFalse();
        String assetId = recipe.get("references").get(0).asString();

        var replay = v2("POST", "/v2/jobs/" + id + "/replay", Map.of("steps", 30), BOOTSTRAP_KEY)
                .expectStatus().isCreated()
                .expectBody(JsonNode.class).returnResult().getResponseBody();
        assertThat(replay.get("id").asString()).isNotEqualTo(id);
        JsonNode sent = SERVICES.lastCreate().get("request");
        assertThat(sent.get("seed").asLong()).isEqualTo(99);
        assertThat(sent.get("steps").asInt()).isEqualTo(30);
        assertThat(sent.get("guidance").asDouble()).isEqualTo(2.5);
        assertThat(sent.get("references").get(0).asString()).isEqualTo(assetId);
        var refCalls = SERVICES.received("POST", "/internal/assets/references");
        assertThat(refCalls.get(refCalls.size() - 1).body().get("source").asString()).isEqualTo(assetId);

        // Another tier drops the old tier's steps and guidance.
        v2("POST", "/v2/jobs/" + id + "/replay", Map.of("tier", "klein"), BOOTSTRAP_KEY).expectStatus().isCreated();
        assertThat(SERVICES.lastCreate().get("request").get("steps").asInt()).isEqualTo(4);
        v2("POST", "/v2/jobs/" + id + "/replay", Map.of("colour", "red"), BOOTSTRAP_KEY).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("colour");
    }

    @Test
    void tiersAreMachineReadable() {
        v2("GET", "/v2/tiers", null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.items[?(@.name == 'flex')].steps.max").isEqualTo(50)
                .jsonPath("$.items[?(@.name == 'flex')].guidance.min").isEqualTo(1.5)
                .jsonPath("$.items[?(@.name == 'klein')].max_references").isEqualTo(4)
                .jsonPath("$.items[?(@.name == 'klein')].safety_tolerance.max").isEqualTo(4)
                .jsonPath("$.items[?(@.name == 'dev')].max_references").isEqualTo(6)
                .jsonPath("$.items[?(@.name == 'pro')].route").isEqualTo("/v1/flux-2-pro")
                .jsonPath("$.items[?(@.name == 'pro')].price.first_megapixel").isEqualTo(3.0)
                .jsonPath("$.items[?(@.name == 'pro')].price.input_megapixel").isEqualTo(1.5)
                .jsonPath("$.items[?(@.name == 'pro')].output_formats[2]").isEqualTo("webp")
                .jsonPath("$.items[?(@.name == 'pro')].active_job_limit").isEqualTo(100000)
                .jsonPath("$.items[?(@.name == 'pro')].allowed").isEqualTo(true);
    }

    @Test
    void quoteCostsWithoutCreatingAJob() {
        int before = SERVICES.received("POST", "/internal/jobs").size();
        Map<String, Object> body = job("pro", "a quote");
        body.put("references", List.of("https://img.test/q-1000x1000.png"));
        v2("POST", "/v2/quote", body, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.cost").isEqualTo(4.5)
                .jsonPath("$.input_mp").isEqualTo(0.95)
                .jsonPath("$.output_mp").isEqualTo(0.94)
                .jsonPath("$.width").isEqualTo(992)
                .jsonPath("$.references.length()").isEqualTo(1);
        assertThat(SERVICES.received("POST", "/internal/jobs")).hasSize(before);
        v2("POST", "/v2/quote", Map.of("tier", "pro", "prompt", "x", "n", 2), BOOTSTRAP_KEY)
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("n");
    }

    @Test
    void usageComesFromJobService() {
        SERVICES.credits.put(TENANT, 12.5);
        v2("GET", "/v2/usage", null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody()
                .jsonPath("$.credits").isEqualTo(12.5)
                .jsonPath("$.jobs").isEqualTo(3)
                .jsonPath("$.by_tier.pro.credits").isEqualTo(12.5);
        var call = SERVICES.received("GET", "/internal/usage");
        assertThat(call.get(call.size() - 1).query()).containsEntry("tenantId", TENANT).containsKeys("from", "to");
        v2("GET", "/v2/usage?from=2026-01-01&to=2026-02-01", null, BOOTSTRAP_KEY).expectStatus().isOk()
                .expectBody().jsonPath("$.from").isEqualTo("2026-01-01T00:00:00Z");
        call = SERVICES.received("GET", "/internal/usage");
        assertThat(call.get(call.size() - 1).query()).containsEntry("from", "2026-01-01T00:00:00Z")
                .containsEntry("to", "2026-02-01T00:00:00Z");
        v2("GET", "/v2/usage?from=yesterday", null, BOOTSTRAP_KEY).expectStatus().isEqualTo(422);
    }

    @Test
    void anotherTenantsJobIsNotFoundEverywhere() {
        String otherKey = tenantWithKey(unique("other"), Map.of(), Map.of());
        String id = create(job("pro", "tenant a's fox")).get("id").asString();
        for (String path : List.of("/v2/jobs/" + id, "/v2/jobs/" + id + "/result", "/v2/jobs/" + id + "/recipe",
                "/v2/jobs/" + id + "/events")) {
            v2("GET", path, null, otherKey).expectStatus().isNotFound()
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        }
        v2("POST", "/v2/jobs/" + id + "/cancel", null, otherKey).expectStatus().isNotFound();
        v2("POST", "/v2/jobs/" + id + "/replay", Map.of(), otherKey).expectStatus().isNotFound();
        v2("GET", "/v2/jobs", null, otherKey).expectStatus().isOk()
                .expectBody().jsonPath("$.items.length()").isEqualTo(0);
        v2("GET", "/v2/jobs/" + id, null, BOOTSTRAP_KEY).expectStatus().isOk();
    }

    @Test
    void v2WithoutKeyIsAProblem() {
        web.get().uri("/v2/jobs").exchange().expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }
}
