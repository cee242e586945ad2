package io.flux2.e2e;

import static io.flux2.e2e.Sdk.call;
import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.flux2.sdk.api.JobsApi;
import io.flux2.sdk.model.Job;
import io.flux2.sdk.model.JobStatus;
import io.flux2.sdk.model.Webhook;
import io.flux2.sdk.model.WebhookDelivery;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Webhook receivers on 127.0.0.1 (job-service's SSRF guard lets the local platform's own address through):
 * deliveries are signed the Standard Webhooks way and a failing receiver is retried.
 */
class WebhookTest {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private static HttpServer server;
    private static final List<Delivery> good = new CopyOnWriteArrayList<>();
    private static final List<Delivery> flaky = new CopyOnWriteArrayList<>();
    private static final AtomicInteger flakyCalls = new AtomicInteger();

    record Delivery(String id, String timestamp, String signature, String body, Instant receivedAt) {
    }

    private static JsonNode withoutSample(Delivery delivery) {
        JsonNode body = JSON.readTree(delivery.body());
        ((tools.jackson.databind.node.ObjectNode) body.path("result")).remove("sample");
        return body;
    }

    @BeforeAll
    static void receivers() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/good", exchange -> {
            good.add(read(exchange));
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
        });
        server.createContext("/flaky", exchange -> {
            flaky.add(read(exchange));
            // The first attempt fails; the retry is accepted.
            exchange.sendResponseHeaders(flakyCalls.incrementAndGet() == 1 ? 500 : 200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterAll
    static void stop() {
        server.stop(0);
    }

    @Test
    void aDeliveryCarriesASignatureThatVerifies() throws Exception {
        byte[] key = new byte[32];
        new SecureRandom().nextBytes(key);
        String secret = "whsec_" + Base64.getEncoder().encodeToString(key);
        JobsApi jobs = new JobsApi(Sdk.client(RunningPlatform.API_KEY));
        Job job = call(() -> jobs.createJob(Sdk.klein("a carrier pigeon")
                .webhook(new Webhook().url(receiver("/good")).secret(secret)), null, "wait=60"));
        assertThat(job.getStatus()).isEqualTo(JobStatus.READY);

        Delivery delivery = await(good, 1, Duration.ofSeconds(30)).get(0);
        assertThat(delivery.id()).isNotBlank();
        assertThat(Long.parseLong(delivery.timestamp()))
                .isBetween(Instant.now().minusSeconds(300).getEpochSecond(), Instant.now().plusSeconds(5).getEpochSecond());
        assertThat(verifies(delivery, key)).as("signature %s", delivery.signature()).isTrue();
        byte[] wrongKey = key.clone();
        wrongKey[0] ^= 1;
        assertThat(verifies(delivery, wrongKey)).isFalse();

        JsonNode body = JSON.readTree(delivery.body());
        assertThat(body.path("id").asString()).isEqualTo(job.getId());
        assertThat(body.path("type").asString()).isEqualTo("job.ready");
        assertThat(body.path("status").asString()).isEqualTo("Ready");
        assertThat(body.path("result").path("assetId").asString()).as(body.toString()).isEqualTo(job.getResult().getAssetId());
        // A receiver written for BFL downloads result.sample, as from get_result.
        var download = java.net.http.HttpClient.newHttpClient().send(java.net.http.HttpRequest.newBuilder(
                java.net.URI.create(body.path("result").path("sample").asString())).build(),
                java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(download.body()))).isNotNull();
    }

    @Test
    void aFailingReceiverIsRetriedWithTheSameWebhookId() throws Exception {
        String secret = "a plain shared secret";
        JobsApi jobs = new JobsApi(Sdk.client(RunningPlatform.API_KEY));
        Job job = call(() -> jobs.createJob(Sdk.klein("a stubborn postman")
                .webhook(new Webhook().url(receiver("/flaky")).secret(secret)), null, "wait=60"));
        assertThat(job.getStatus()).isEqualTo(JobStatus.READY);

        // job-service retries after its initial backoff (5 s by default).
        List<Delivery> attempts = await(flaky, 2, Duration.ofSeconds(60));
        assertThat(attempts.get(1).id()).isEqualTo(attempts.get(0).id());
        // The same message; only the image URL in it is signed anew for each attempt.
        assertThat(withoutSample(attempts.get(1))).isEqualTo(withoutSample(attempts.get(0)));
        byte[] key = secret.getBytes(StandardCharsets.UTF_8);
        assertThat(attempts).allSatisfy(attempt -> assertThat(verifies(attempt, key)).isTrue());
        Sdk.sleep(1500);
        assertThat(flaky).as("delivered: no attempt after the 200").hasSize(2);

        // The delivery log shows both attempts; a redelivery sends the message again with the same webhook-id.
        List<WebhookDelivery> log = call(() -> jobs.listWebhookDeliveries(job.getId())).getItems();
        assertThat(log).hasSize(1);
        WebhookDelivery delivery = log.get(0);
        assertThat(delivery.getId()).isEqualTo(attempts.get(0).id());
        assertThat(delivery.getStatus()).isEqualTo(WebhookDelivery.StatusEnum.DELIVERED);
        assertThat(delivery.getAttempts()).isEqualTo(2);
        assertThat(delivery.getLastStatusCode()).isEqualTo(200);
        assertThat(delivery.getEventType()).isEqualTo("job.ready");
        WebhookDelivery again = call(() -> jobs.redeliverWebhookWithHttpInfo(delivery.getId())).getData();
        assertThat(again.getStatus()).isEqualTo(WebhookDelivery.StatusEnum.PENDING);
        List<Delivery> redelivered = await(flaky, 3, Duration.ofSeconds(30));
        assertThat(redelivered.get(2).id()).isEqualTo(delivery.getId());
        assertThat(withoutSample(redelivered.get(2))).isEqualTo(withoutSample(attempts.get(0)));
        assertThat(verifies(redelivered.get(2), key)).isTrue();
        // Another tenant sees neither the log nor the delivery.
        JobsApi other = Sdk.newTenant("e2e-webhook-other", null).jobs();
        Sdk.problem(404, () -> other.listWebhookDeliveries(job.getId()));
        Sdk.problem(404, () -> other.redeliverWebhook(delivery.getId()));
    }

    private static URI receiver(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    private static Delivery read(com.sun.net.httpserver.HttpExchange exchange) throws IOException {
        String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        var headers = exchange.getRequestHeaders();
        return new Delivery(headers.getFirst("webhook-id"), headers.getFirst("webhook-timestamp"),
                headers.getFirst("webhook-signature"), body, Instant.now());
    }

    /** Standard Webhooks: {@code v1,<base64 HMAC-SHA256(key, "{id}.{timestamp}.{body}")>}, space-separated. */
    private static boolean verifies(Delivery delivery, byte[] key) throws GeneralSecurityException {
        Mac mac = Mac.getInstance("HmacSHA256");
        mac.init(new SecretKeySpec(key, "HmacSHA256"));
        byte[] expected = mac.doFinal((delivery.id() + "." + delivery.timestamp() + "." + delivery.body())
                .getBytes(StandardCharsets.UTF_8));
        for (String signature : delivery.signature().split(" ")) {
            if (signature.startsWith("v1,") && MessageDigest.isEqual(expected,
                    Base64.getDecoder().decode(signature.substring(3)))) {
                return true;
            }
        }
        return false;
    }

    private static List<Delivery> await(List<Delivery> deliveries, int count, Duration limit) {
        Instant deadline = Instant.now().plus(limit);
        while (deliveries.size() < count) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError(count + " deliveries expected within " + limit + ", got " + deliveries);
            }
            Sdk.sleep(100);
        }
        return List.copyOf(deliveries);
    }
}
