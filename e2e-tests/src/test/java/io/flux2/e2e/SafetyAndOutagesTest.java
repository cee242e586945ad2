package io.flux2.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.localstack.LocalPlatform;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * The mandatory filter and the platform's behaviour when a part fails, end to end: the image classifier
 * moderating a reference and an output, jobs waiting for safety-service, and the S3 store going away.
 */
class SafetyAndOutagesTest {

    private static final String ADMIN_HEADER = "x-admin-key";

    private static GatewayClient gateway;
    private static LocalPlatform platform;

    @BeforeAll
    static void platform() {
        platform = RunningPlatform.platform();
        gateway = new GatewayClient(platform.settings().gatewayUrl());
    }

    @Test
    void aReferenceImageWithTheFlaggedPatternIsRequestModerated() {
        var submitted = gateway.post("/v1/flux-2-pro", RunningPlatform.API_KEY, """
                {"prompt": "make the background yellow", "input_image": "%s"}"""
                .formatted(base64Png(imageWithPattern(true))));
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(200);

        JsonNode result = pollUntilDone(submitted.body().path("polling_url").asString(), Duration.ofSeconds(60));
        assertThat(result.path("status").asString()).as(result.toString()).isEqualTo("Request Moderated");
        assertThat(result.path("details").path("Moderation Reasons").get(0).asString()).isEqualTo("nsfw");
    }

    /**
     * A blocklist names files as they are shared; the reference is stored re-encoded as PNG, and is caught all
     * the same by the hash of the file the client sent.
     */
    @Test
    void aReferenceWhoseFileIsOnTheHashBlocklistIsRequestModerated() {
        var submitted = gateway.post("/v1/flux-2-klein-4b", RunningPlatform.API_KEY, """
                {"prompt": "make the background yellow", "input_image": "%s"}"""
                .formatted(java.util.Base64.getEncoder().encodeToString(RunningPlatform.BLOCKED_REFERENCE)));
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(200);

        JsonNode result = pollUntilDone(submitted.body().path("polling_url").asString(), Duration.ofSeconds(60));
        assertThat(result.path("status").asString()).as(result.toString()).isEqualTo("Request Moderated");
        assertThat(result.path("details").path("Moderation Reasons").get(0).asString())
                .isEqualTo("known-blocked-image");
    }

    @Test
    void aCleanReferenceImageIsAccepted() {
        var submitted = gateway.post("/v1/flux-2-klein-4b", RunningPlatform.API_KEY, """
                {"prompt": "make the background yellow", "input_image": "%s"}"""
                .formatted(base64Png(imageWithPattern(false))));
        JsonNode result = pollUntilDone(submitted.body().path("polling_url").asString(), Duration.ofSeconds(90));
        assertThat(result.path("status").asString()).as(result.toString()).isEqualTo("Ready");
        // With a reference and no size, the output takes the reference's size.
        assertThat(result.path("result").path("width").asInt()).isEqualTo(128);
        assertThat(result.path("result").path("height").asInt()).isEqualTo(96);
    }

    @Test
    void anOutputTheClassifierFlagsIsContentModeratedAndItsObjectDeleted() throws IOException {
        Tenant tenant = newTenant("moderated-outputs");
        var submitted = gateway.post("/v1/" + RunningPlatform.PATTERN_ROUTE, tenant.key(), """
                {"prompt": "a red circle on a blue background", "width": 128, "height": 128}""");
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(200);

        JsonNode result = pollUntilDone(submitted.body().path("polling_url").asString(), tenant.key(),
                Duration.ofSeconds(90));
        assertThat(result.path("status").asString()).as(result.toString()).isEqualTo("Content Moderated");
        assertThat(result.path("details").path("Moderation Reasons").get(0).asString()).isEqualTo("nsfw");
        awaitTrue(Duration.ofSeconds(20), () -> storedOutputs(tenant.id()) == 0);
    }

    @Test
    void withSafetyServiceStoppedJobsWaitAndFinishOnceItIsBack() {
        platform.stopService("safety-service");
        String pollingUrl;
        try {
            var submitted = gateway.post("/v1/flux-2-klein-4b", RunningPlatform.API_KEY,
                    "{\"prompt\": \"a green square in the top left corner\"}");
            assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(200);
            pollingUrl = submitted.body().path("polling_url").asString();
            sleep(Duration.ofSeconds(4));
            assertThat(gateway.get(pollingUrl, RunningPlatform.API_KEY).body().path("status").asString())
                    .as("never generated without a safety verdict").isEqualTo("Pending");
        } finally {
            platform.startService("safety-service");
        }
        JsonNode result = pollUntilDone(pollingUrl, Duration.ofSeconds(60));
        assertThat(result.path("status").asString()).as(result.toString()).isEqualTo("Ready");
    }

    @Test
    void withTheStoreStoppedSubmissionsThatNeedItGet503FastAndSucceedOnceItIsBack() {
        var before = gateway.post("/v1/flux-2-pro", RunningPlatform.API_KEY,
                "{\"prompt\": \"a blue circle on a white background\"}");
        assertThat(before.status()).isEqualTo(200);
        String reference = base64Png(imageWithPattern(false));
        platform.stopObjectStore();
        try {
            Instant start = Instant.now();
            var refused = gateway.post("/v1/flux-2-klein-4b", RunningPlatform.API_KEY, """
                    {"prompt": "make it yellow", "input_image": "%s"}""".formatted(reference));
            Duration took = Duration.between(start, Instant.now());
            assertThat(refused.status()).as(refused.body().toString()).isEqualTo(503);
            assertThat(refused.contentType()).startsWith("application/problem+json");
            assertThat(took).isLessThan(Duration.ofSeconds(1));
            sleep(Duration.ofSeconds(2));
        } finally {
            platform.startObjectStore();
        }
        Instant restarted = Instant.now();
        GatewayClient.Reply accepted;
        do {
            sleep(Duration.ofMillis(250));
            accepted = gateway.post("/v1/flux-2-klein-4b", RunningPlatform.API_KEY, """
                    {"prompt": "make it yellow", "input_image": "%s"}""".formatted(reference));
        } while (accepted.status() == 503 && Instant.now().isBefore(restarted.plusSeconds(20)));
        assertThat(accepted.status()).as(accepted.body().toString()).isEqualTo(200);
        assertThat(Duration.between(restarted, Instant.now())).isLessThan(Duration.ofSeconds(20));

        // The job accepted before the outage is not lost: it finishes once the store is back.
        JsonNode first = pollUntilDone(before.body().path("polling_url").asString(), Duration.ofSeconds(120));
        assertThat(first.path("status").asString()).as(first.toString()).isEqualTo("Ready");
        JsonNode second = pollUntilDone(accepted.body().path("polling_url").asString(), Duration.ofSeconds(120));
        assertThat(second.path("status").asString()).as(second.toString()).isEqualTo("Ready");
    }

    record Tenant(String id, String key) {
    }

    private static Tenant newTenant(String name) {
        var tenant = gateway.post("/admin/tenants", null, "{\"name\": \"" + name + "\"}",
                ADMIN_HEADER, RunningPlatform.ADMIN_KEY);
        assertThat(tenant.status()).as(tenant.body().toString()).isEqualTo(201);
        String id = tenant.body().path("id").asString();
        var key = gateway.post("/admin/tenants/" + id + "/keys", null, "{\"name\": \"e2e\"}",
                ADMIN_HEADER, RunningPlatform.ADMIN_KEY);
        assertThat(key.status()).as(key.body().toString()).isEqualTo(201);
        return new Tenant(id, key.body().path("key").asString());
    }

    private static long storedOutputs(String tenantId) {
        Path outputs = platform.settings().dataDir().resolve("s3").resolve("flux2-assets").resolve(tenantId)
                .resolve("outputs");
        if (!Files.isDirectory(outputs)) {
            return 0;
        }
        try (Stream<Path> files = Files.list(outputs)) {
            return files.count();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A 128x96 picture; with {@code flagged}, a magenta/green checkerboard patch as the classifier learnt. */
    private static BufferedImage imageWithPattern(boolean flagged) {
        BufferedImage image = new BufferedImage(128, 96, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(40, 90, 200));
        g.fillRect(0, 0, 128, 96);
        g.setColor(Color.ORANGE);
        g.fillOval(70, 20, 40, 40);
        if (flagged) {
            for (int y = 0; y < 48; y += 4) {
                for (int x = 0; x < 48; x += 4) {
                    g.setColor(((x + y) / 4) % 2 == 0 ? Color.MAGENTA : Color.GREEN);
                    g.fillRect(10 + x, 24 + y, 4, 4);
                }
            }
        }
        g.dispose();
        return image;
    }

    private static String base64Png(BufferedImage image) {
        try {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return Base64.getEncoder().encodeToString(out.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static JsonNode pollUntilDone(String pollingUrl, Duration limit) {
        return pollUntilDone(pollingUrl, RunningPlatform.API_KEY, limit);
    }

    private static JsonNode pollUntilDone(String pollingUrl, String key, Duration limit) {
        Instant deadline = Instant.now().plus(limit);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            last = gateway.get(pollingUrl, key).body();
            if (!"Pending".equals(last.path("status").asString())) {
                return last;
            }
            sleep(Duration.ofMillis(250));
        }
        throw new AssertionError("Still pending after " + limit + ": " + last);
    }

    private static void awaitTrue(Duration limit, java.util.function.BooleanSupplier condition) {
        Instant deadline = Instant.now().plus(limit);
        while (!condition.getAsBoolean()) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("Not true within " + limit);
            }
            sleep(Duration.ofMillis(250));
        }
    }

    private static void sleep(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
