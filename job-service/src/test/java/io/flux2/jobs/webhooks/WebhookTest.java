package io.flux2.jobs.webhooks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flux2.jobs.support.JobServiceTest;
import io.flux2.jobs.support.WebhookReceiver;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import tools.jackson.databind.json.JsonMapper;

class WebhookTest extends JobServiceTest {

    private static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(
            "a secret of thirty-two bytes!!!!".getBytes(StandardCharsets.UTF_8));
    private final JsonMapper json = JsonMapper.builder().build();

    @Test
    void readyJobIsDeliveredSignedPerStandardWebhooks() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver()) {
            String tenant = uniqueTenant();
            String model = uniqueModel();
            Object jobId = createWithWebhook(tenant, model, "a clean harbour", receiver.url(), SECRET);
            awaitStatus(jobId, tenant, "QUEUED");
            Map<String, Object> ready = runToReady(jobId, tenant, model, 2);

            await().atMost(PATIENCE).until(() -> receiver.received().size() == 1);
            WebhookReceiver.Received hook = receiver.received().get(0);
            String id = hook.headers().get("webhook-id");
            String timestamp = hook.headers().get("webhook-timestamp");
            assertThat(hook.headers().get("webhook-signature"))
                    .isEqualTo("v1," + hmac(Base64.getDecoder().decode(SECRET.substring(6)), id, timestamp, hook.body()));
            assertThat(Long.parseLong(timestamp)).isCloseTo(Instant.now().getEpochSecond(), org.assertj.core.data.Offset.offset(30L));
            // What a receiver written for BFL checks: hex HMAC-SHA256 of the raw body with the secret as given.
            Mac bfl = Mac.getInstance("HmacSHA256");
            bfl.init(new SecretKeySpec(SECRET.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            assertThat(hook.headers().get("X-BFL-Signature"))
                    .isEqualTo("sha256=" + HexFormat.of().formatHex(bfl.doFinal(hook.body())));
            assertThat(hook.headers().get("Content-Type")).startsWith("application/json");
            // What BFL's own SDK checks: the shared secret as given.
            assertThat(hook.headers().get("X-Webhook-Secret")).isEqualTo(SECRET);

            Map<?, ?> payload = json.readValue(hook.body(), Map.class);
            assertThat(payload.get("id")).isEqualTo(jobId);
            assertThat(payload.get("status")).isEqualTo("Ready");
            assertThat(payload.get("type")).isEqualTo("job.ready");
            // BFL's get_result shape: a URL to the image, signed for this attempt, and the prompt.
            Map<?, ?> result = (Map<?, ?>) payload.get("result");
            assertThat(result.get("contentType")).isEqualTo("image/png");
            assertThat(result.get("sample"))
                    .isEqualTo(ASSETS.signedUrl((String) ((Map<?, ?>) ready.get("result")).get("assetId")));
            assertThat(result.get("prompt")).isEqualTo("a clean harbour");

            List<Map<String, Object>> log;
            await().atMost(PATIENCE).until(() -> "delivered".equals(deliveries(jobId, tenant).get(0).get("status")));
            log = deliveries(jobId, tenant);
            assertThat(log).hasSize(1);
            assertThat(log.get(0)).containsEntry("id", id).containsEntry("attempts", 1)
                    .containsEntry("lastStatusCode", 200).containsEntry("eventType", "job.ready");
        }
    }

    @Test
    void failingReceiverIsRetriedWithTheSameWebhookIdAndAPlainSecretSigns() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver(500, 503)) {
            String tenant = uniqueTenant();
            Object jobId = createWithWebhook(tenant, uniqueModel(), "something forbidden", receiver.url(), "plain-secret");
            awaitStatus(jobId, tenant, "REQUEST_MODERATED");

            await().atMost(PATIENCE).until(() -> receiver.received().size() == 3);
            assertThat(receiver.received()).extracting(r -> r.headers().get("webhook-id")).containsOnly(
                    receiver.received().get(0).headers().get("webhook-id"));
            WebhookReceiver.Received last = receiver.received().get(2);
            assertThat(last.headers().get("webhook-signature")).isEqualTo("v1," + hmac(
                    "plain-secret".getBytes(StandardCharsets.UTF_8), last.headers().get("webhook-id"),
                    last.headers().get("webhook-timestamp"), last.body()));
            Map<?, ?> payload = json.readValue(last.body(), Map.class);
            assertThat(payload.get("status")).isEqualTo("Request Moderated");
            assertThat(((Map<?, ?>) payload.get("details")).get("Moderation Reasons")).as("BFL's key").isNotNull();

            await().atMost(PATIENCE).until(() -> "delivered".equals(deliveries(jobId, tenant).get(0).get("status")));
            assertThat(deliveries(jobId, tenant).get(0)).containsEntry("attempts", 3).containsEntry("lastStatusCode", 200);
        }
    }

    @Test
    void deliveryGivesUpAfterMaxAttemptsAndCanBeRedelivered() throws Exception {
        try (WebhookReceiver receiver = new WebhookReceiver(500, 500, 500, 500)) {
            String tenant = uniqueTenant();
            String model = uniqueModel();
            Object jobId = createWithWebhook(tenant, model, "a quiet lake", receiver.url(), null);
            awaitStatus(jobId, tenant, "QUEUED");
            post("/internal/jobs/{id}/cancel?tenantId={t}", jobId, tenant).exchange().expectStatus().isOk();

            await().atMost(PATIENCE).until(() -> "failed".equals(deliveries(jobId, tenant).get(0).get("status")));
            Map<String, Object> failed = deliveries(jobId, tenant).get(0);
            assertThat(failed).containsEntry("attempts", 4).containsEntry("lastStatusCode", 500)
                    .containsEntry("lastError", "HTTP 500");
            assertThat(receiver.received()).hasSize(4);
            assertThat(receiver.received().get(0).headers()).doesNotContainKey("webhook-signature");
            // BFL has no cancelled status: an Error whose details say it was a cancel, as /v1/get_result answers.
            Map<?, ?> cancelled = json.readValue(receiver.received().get(0).body(), Map.class);
            assertThat(cancelled.get("status")).isEqualTo("Error");
            assertThat(((Map<?, ?>) cancelled.get("details")).get("cancelled")).isEqualTo(true);

            expectProblem(post("/internal/webhook-deliveries/{id}/redeliver?tenantId={t}", failed.get("id"),
                    uniqueTenant()).exchange(), HttpStatus.NOT_FOUND);
            post("/internal/webhook-deliveries/{id}/redeliver?tenantId={t}", failed.get("id"), tenant).exchange()
                    .expectStatus().isAccepted();
            await().atMost(PATIENCE).until(() -> "delivered".equals(deliveries(jobId, tenant).get(0).get("status")));
            assertThat(receiver.received()).hasSize(5);
            assertThat(receiver.received().get(4).headers().get("webhook-id")).isEqualTo(failed.get("id"));
        }
    }

    @Test
    void invalidOrPrivateLiteralTargetsAreRefusedAtCreation() {
        // localhost is not allowlisted (only 127.0.0.1 is): refused before anything is stored or sent.
        for (String url : List.of("ftp://example.com/x", "not a url", "http://10.0.0.8/hook", "http://[::1]:8080/",
                "http://localhost:8080/hook", "http://2130706433/hook",
                "http://169.254.169.254/latest/meta-data", "/relative")) {
            Map<String, Object> body = jobBody(uniqueTenant(), uniqueModel(), "p");
            body.put("webhook", Map.of("url", url, "secret", "s"));
            create(body).expectStatus().isEqualTo(HttpStatus.UNPROCESSABLE_CONTENT)
                    .expectBody().jsonPath("$.field").isEqualTo("webhook.url");
        }
    }

    private Object createWithWebhook(String tenant, String model, String prompt, String url, String secret) {
        Map<String, Object> body = jobBody(tenant, model, prompt);
        Map<String, Object> webhook = new java.util.HashMap<>();
        webhook.put("url", url);
        if (secret != null) {
            webhook.put("secret", secret);
        }
        body.put("webhook", webhook);
        return body(create(body).expectStatus().isCreated()).get("id");
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> deliveries(Object jobId, String tenant) {
        return (List<Map<String, Object>>) (List<?>) get("/internal/jobs/{id}/webhook-deliveries?tenantId={t}", jobId, tenant)
                .expectStatus().isOk().expectBodyList(Map.class).returnResult().getResponseBody();
    }

    private static String hmac(byte[] key, String id, String timestamp, byte[] body) throws Exception {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        mac.update((id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8));
        return Base64.getEncoder().encodeToString(mac.doFinal(body));
    }
}
