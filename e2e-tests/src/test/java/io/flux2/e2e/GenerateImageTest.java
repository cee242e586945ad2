package io.flux2.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/** A user's first image: submit through the gateway, poll, download the PNG through the presigned URL. */
class GenerateImageTest {

    private static GatewayClient gateway;

    @BeforeAll
    static void platform() {
        gateway = new GatewayClient(RunningPlatform.get().gatewayUrl());
    }

    @Test
    void textToImageGoesFromPendingToReadyAndTheImageDownloads() throws IOException {
        var submitted = gateway.post("/v1/flux-2-pro", RunningPlatform.API_KEY, """
                {"prompt": "a red circle on a blue background", "width": 192, "height": 128,
                 "seed": 42, "output_format": "png"}""");
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(200);
        String id = submitted.body().path("id").asString();
        String pollingUrl = submitted.body().path("polling_url").asString();
        assertThat(pollingUrl).endsWith("/v1/get_result?id=" + id);

        JsonNode result = pollUntilDone(pollingUrl, Duration.ofSeconds(120));
        assertThat(result.path("status").asString()).as(result.toString()).isEqualTo("Ready");
        assertThat(result.path("result").path("seed").asLong()).isEqualTo(42);

        byte[] png = gateway.download(result.path("result").path("sample").asString());
        BufferedImage image = ImageIO.read(new ByteArrayInputStream(png));
        assertThat(image).as("a decodable PNG").isNotNull();
        assertThat(image.getWidth()).isEqualTo(192);
        assertThat(image.getHeight()).isEqualTo(128);
        assertThat(distinctColours(image)).as("an image, not a constant fill").isGreaterThan(16);
    }

    /**
     * The local platform's model draws what it is asked: model-tools' evaluator reads the background colour and
     * each shape's colour, class and position back from the downloaded picture.
     */
    @Test
    void theDemoModelDrawsTheRedCircleOnTheBlueBackgroundItWasAskedFor() throws Exception {
        var submitted = gateway.post("/v1/flux-2-pro", RunningPlatform.API_KEY, """
                {"prompt": "a red circle on a blue background", "seed": 7, "output_format": "png"}""");
        assertThat(submitted.status()).as(submitted.body().toString()).isEqualTo(200);
        JsonNode result = pollUntilDone(submitted.body().path("polling_url").asString(), Duration.ofSeconds(120));
        assertThat(result.path("status").asString()).as(result.toString()).isEqualTo("Ready");

        Path png = Files.createTempFile("red-circle-", ".png");
        Files.write(png, gateway.download(result.path("result").path("sample").asString()));
        JsonNode seen = DemoEvaluator.analyze(png);
        assertThat(seen.path("background").asString()).as(seen.toString()).isEqualTo("blue");
        assertThat(seen.path("shapes").size()).as(seen.toString()).isEqualTo(1);
        assertThat(seen.path("shapes").path(0).path("colour").asString()).as(seen.toString()).isEqualTo("red");
        assertThat(seen.path("shapes").path(0).path("class").asString()).as(seen.toString()).isEqualTo("circle");
    }

    @Test
    void aRequestWithoutAKeyIsRefused() {
        var reply = gateway.post("/v1/flux-2-pro", null, "{\"prompt\": \"a cat\"}");
        assertThat(reply.status()).isEqualTo(401);
        assertThat(reply.contentType()).startsWith("application/problem+json");
    }

    @Test
    void aMalformedRequestGetsAProblemNamingTheField() {
        var reply = gateway.post("/v1/flux-2-pro", RunningPlatform.API_KEY,
                "{\"prompt\": \"a cat\", \"width\": 70, \"height\": 128}");
        assertThat(reply.status()).isEqualTo(422);
        assertThat(reply.contentType()).startsWith("application/problem+json");
        assertThat(reply.body().path("field").asString()).isEqualTo("width");
    }

    @Test
    void anUnknownTaskIsReportedAsBflDoes() {
        var reply = gateway.get("/v1/get_result?id=00000000-0000-0000-0000-000000000000", RunningPlatform.API_KEY);
        assertThat(reply.body().path("status").asString()).isEqualTo("Task not found");
    }

    private static JsonNode pollUntilDone(String pollingUrl, Duration limit) {
        Instant deadline = Instant.now().plus(limit);
        JsonNode last = null;
        while (Instant.now().isBefore(deadline)) {
            var reply = gateway.get(pollingUrl, RunningPlatform.API_KEY);
            last = reply.body();
            if (!"Pending".equals(last.path("status").asString())) {
                return last;
            }
            sleep(250);
        }
        throw new AssertionError("Still pending after " + limit + ": " + last);
    }

    private static long distinctColours(BufferedImage image) {
        return java.util.stream.IntStream.range(0, image.getWidth() * image.getHeight())
                .map(i -> image.getRGB(i % image.getWidth(), i / image.getWidth()))
                .distinct().count();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
