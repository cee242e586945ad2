package io.flux2.inference.worker;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flux2.inference.InferenceApplication;
import io.flux2.inference.TinyPackage;
import java.io.ByteArrayInputStream;
import java.awt.image.BufferedImage;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import tools.jackson.databind.JsonNode;

/**
 * The whole service against a fake job-service and asset-service on a real HTTP port: it loads the tiny
 * package, warms up, reports ready, takes a lease, heartbeats every step, uploads a PNG and completes.
 */
@SpringBootTest(classes = InferenceApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class WorkerIntegrationTest {

    private static final FakePlatform PLATFORM = startPlatform();

    @Value("${local.server.port}")
    int port;

    private static FakePlatform startPlatform() {
        try {
            FakePlatform platform = new FakePlatform();
            platform.leases.add("""
                    {"leaseId":"lease-1","jobId":"job-1","tenantId":"tenant a","model":"tiny","attempt":1,
                     "request":{"prompt":"a blue square","width":128,"height":128,"seed":5,"steps":3,
                                "guidance":4.0,"outputFormat":"png","safetyTolerance":2},
                     "expiresAt":"2030-01-01T00:00:00Z"}""");
            platform.leases.add("""
                    {"leaseId":"lease-2","jobId":"job-2","tenantId":"t","model":"tiny","attempt":1,
                     "request":{"prompt":"bad size","width":100,"height":128,"steps":3,"outputFormat":"png"},
                     "expiresAt":"2030-01-01T00:00:00Z"}""");
            platform.leases.add("""
                    {"leaseId":"lease-cancel","jobId":"job-3","tenantId":"t","model":"tiny","attempt":1,
                     "request":{"prompt":"x","width":64,"height":64,"seed":1,"steps":4,"outputFormat":"jpeg"}}""");
            platform.leases.add("""
                    {"leaseId":"lease-gone","jobId":"job-4","tenantId":"t","model":"tiny","attempt":1,
                     "request":{"prompt":"x","width":64,"height":64,"seed":1,"steps":4,"outputFormat":"jpeg"}}""");
            platform.contents.put("ref-a", png(128, 128));
            platform.contents.put("ref-b", png(170, 100));
            // no size: the output takes the last reference's processed size, 170x100 cropped to 160x96
            platform.leases.add("""
                    {"leaseId":"lease-edit","jobId":"job-5","tenantId":"t","model":"tiny","attempt":1,
                     "request":{"prompt":"make it blue","seed":3,"steps":2,"outputFormat":"png",
                                "references":["ref-a","ref-b"]}}""");
            platform.leases.add("""
                    {"leaseId":"lease-eleven","jobId":"job-6","tenantId":"t","model":"tiny","attempt":1,
                     "request":{"prompt":"x","steps":2,"references":["ref-a","ref-a","ref-a","ref-a","ref-a",
                                "ref-a","ref-a","ref-a","ref-a","ref-a","ref-a"]}}""");
            platform.leases.add("""
                    {"leaseId":"lease-missing","jobId":"job-7","tenantId":"t","model":"tiny","attempt":1,
                     "request":{"prompt":"x","steps":2,"references":["ref-a","nope"]}}""");
            platform.leases.add("""
                    {"leaseId":"lease-late","jobId":"job-8","tenantId":"t","model":"tiny","attempt":1,
                     "request":{"prompt":"x","width":64,"height":64,"seed":1,"steps":3,"outputFormat":"png"}}""");
            platform.leases.add("""
                    {"leaseId":"lease-lost","jobId":"job-9","tenantId":"t","model":"tiny","attempt":1,
                     "request":{"prompt":"x","width":64,"height":64,"seed":1,"steps":2,"outputFormat":"png"}}""");
            return platform;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static byte[] png(int width, int height) throws java.io.IOException {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, (x * 255 / width) << 16 | (y * 255 / height) << 8 | 90);
            }
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        ImageIO.write(image, "png", out);
        return out.toByteArray();
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("flux.inference.packages.tiny", () -> TinyPackage.folder().toString());
        registry.add("flux.inference.worker.lease-wait", () -> "200ms");
        registry.add("flux.inference.worker.backoff-min", () -> "50ms");
        registry.add("flux.inference.worker.id", () -> "test-worker");
        registry.add("flux.internal.token", () -> FakePlatform.TOKEN);
        registry.add("flux.clients.services.job-service.base-url", PLATFORM::baseUrl);
        registry.add("flux.clients.services.asset-service.base-url", PLATFORM::baseUrl);
    }

    @AfterAll
    static void stop() {
        PLATFORM.close();
    }

    @Test
    void runsALeaseFromHeartbeatToCompletion() throws Exception {
        await().atMost(Duration.ofSeconds(90)).until(() -> !PLATFORM.calls("/lease-1/complete").isEmpty());

        FakePlatform.Call poll = PLATFORM.calls("/internal/leases").get(0);
        assertThat(poll.token()).isEqualTo(FakePlatform.TOKEN);
        assertThat(poll.json().path("workerId").asString()).isEqualTo("test-worker-0");
        assertThat(poll.json().path("models").get(0).asString()).isEqualTo("tiny");
        assertThat(poll.json().path("waitMillis").asLong()).isEqualTo(200);

        List<String> heartbeats = PLATFORM.calls("/lease-1/heartbeat").stream()
                .map(FakePlatform.Call::json)
                .map(json -> json.path("step").asInt() + "/" + json.path("totalSteps").asInt())
                .toList();
        // one after every step, and one renewing the lease for the upload
        assertThat(heartbeats).containsExactly("1/3", "2/3", "3/3", "3/3");

        FakePlatform.Call upload = PLATFORM.calls("/internal/assets").get(0);
        assertThat(upload.method()).isEqualTo("POST");
        assertThat(upload.contentType()).isEqualTo("image/png");
        assertThat(upload.query()).contains("tenantId=tenant%20a").contains("kind=output").contains("jobId=job-1");
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(upload.body()));
        assertThat(image.getWidth()).isEqualTo(128);
        assertThat(image.getHeight()).isEqualTo(128);

        JsonNode complete = PLATFORM.calls("/lease-1/complete").get(0).json();
        assertThat(complete.path("assetId").asString()).isEqualTo("asset-1");
        assertThat(complete.path("seed").asLong()).isEqualTo(5);
        assertThat(complete.path("width").asInt()).isEqualTo(128);
        assertThat(complete.path("height").asInt()).isEqualTo(128);
        assertThat(complete.path("contentType").asString()).isEqualTo("image/png");
        assertThat(PLATFORM.calls("/lease-1/fail")).isEmpty();
    }

    @Test
    void failsBadInputAsNotRetryable() {
        await().atMost(Duration.ofSeconds(90)).until(() -> !PLATFORM.calls("/lease-2/fail").isEmpty());
        JsonNode fail = PLATFORM.calls("/lease-2/fail").get(0).json();
        assertThat(fail.path("retryable").asBoolean()).isFalse();
        assertThat(fail.path("message").asString()).contains("width must be a multiple of 16");
        assertThat(PLATFORM.calls("/lease-2/heartbeat")).isEmpty();
    }

    @Test
    void stopsWhenJobServiceAsksToCancel() {
        await().atMost(Duration.ofSeconds(90)).until(() -> !PLATFORM.calls("/lease-cancel/cancelled").isEmpty());
        assertThat(PLATFORM.calls("/lease-cancel/heartbeat")).hasSize(2);
        JsonNode cancelled = PLATFORM.calls("/lease-cancel/cancelled").get(0).json();
        assertThat(cancelled.path("stepsRun").asInt()).as("billed for the steps run").isEqualTo(2);
        assertThat(PLATFORM.calls("/lease-cancel/complete")).isEmpty();
        assertThat(PLATFORM.calls("/lease-cancel/fail")).isEmpty();
    }

    /** The cancel came with the last step: no GPU work is left to save, so the picture is delivered. */
    @Test
    void aCancelThatComesWithTheLastStepStillDeliversThePicture() {
        await().atMost(Duration.ofSeconds(90)).until(() -> !PLATFORM.calls("/lease-late/complete").isEmpty());
        assertThat(PLATFORM.uploads("job-8")).hasSize(1);
        assertThat(PLATFORM.calls("/lease-late/cancelled")).isEmpty();
        assertThat(PLATFORM.calls("/lease-late/fail")).isEmpty();
    }

    /** A lease lost between the upload and the completion: its output would never be fetched, so it goes. */
    @Test
    void deletesTheOutputOfALeaseLostAtCompletion() {
        await().atMost(Duration.ofSeconds(90)).until(() -> !PLATFORM.calls("/lease-lost/complete").isEmpty());
        String assetId = PLATFORM.calls("/lease-lost/complete").get(0).json().path("assetId").asString();
        await().atMost(Duration.ofSeconds(10)).until(() -> PLATFORM.calls("/internal/assets/" + assetId).stream()
                .anyMatch(call -> call.method().equals("DELETE")));
        assertThat(PLATFORM.calls("/lease-lost/fail")).isEmpty();
    }

    @Test
    void dropsALeaseThatIsGone() {
        // lease-gone is handed out after lease-cancel; once a later poll arrives, the worker has let it go.
        await().atMost(Duration.ofSeconds(90)).until(() -> PLATFORM.calls("/internal/leases").size() >= 5);
        assertThat(PLATFORM.calls("/lease-gone/heartbeat")).hasSize(1);
        assertThat(PLATFORM.calls("/lease-gone/complete")).isEmpty();
        assertThat(PLATFORM.calls("/lease-gone/fail")).isEmpty();
        assertThat(PLATFORM.uploads("job-4")).isEmpty();
    }

    @Test
    void editsWithReferencesFetchedFromAssetService() throws Exception {
        await().atMost(Duration.ofSeconds(90)).until(() -> !PLATFORM.calls("/lease-edit/complete").isEmpty());
        assertThat(PLATFORM.calls("/internal/assets/ref-a/content")).isNotEmpty();
        assertThat(PLATFORM.calls("/internal/assets/ref-b/content")).isNotEmpty();
        JsonNode complete = PLATFORM.calls("/lease-edit/complete").get(0).json();
        assertThat(complete.path("width").asInt()).isEqualTo(160);
        assertThat(complete.path("height").asInt()).isEqualTo(96);
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(PLATFORM.uploads("job-5").get(0).body()));
        assertThat(image.getWidth()).isEqualTo(160);
        assertThat(image.getHeight()).isEqualTo(96);
        assertThat(PLATFORM.calls("/lease-edit/heartbeat")).hasSize(3);
    }

    @Test
    void refusesElevenReferencesBeforeFetchingAny() {
        await().atMost(Duration.ofSeconds(90)).until(() -> !PLATFORM.calls("/lease-eleven/fail").isEmpty());
        JsonNode fail = PLATFORM.calls("/lease-eleven/fail").get(0).json();
        assertThat(fail.path("retryable").asBoolean()).isFalse();
        assertThat(fail.path("message").asString()).isEqualTo("at most 10 reference images are allowed, got 11");
        assertThat(PLATFORM.calls("/lease-eleven/heartbeat")).isEmpty();
    }

    @Test
    void refusesAReferenceThatDoesNotExist() {
        await().atMost(Duration.ofSeconds(90)).until(() -> !PLATFORM.calls("/lease-missing/fail").isEmpty());
        JsonNode fail = PLATFORM.calls("/lease-missing/fail").get(0).json();
        assertThat(fail.path("retryable").asBoolean()).isFalse();
        assertThat(fail.path("message").asString()).isEqualTo("reference 1: asset nope does not exist");
    }

    @Test
    void isReadyAfterWarmUp() throws Exception {
        HttpResponse<String> readiness = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health/readiness")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(readiness.statusCode()).isEqualTo(200);
        assertThat(readiness.body()).contains("UP");
    }
}
