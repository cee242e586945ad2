package io.flux2.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.infra.LocalS3;
import io.flux2.infra.SharedTestInfra;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HexFormat;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class AssetApiTest {

    private static final String TOKEN = "asset-test-token";
    private static final int MAX_BYTES = 64 * 1024;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        SharedTestInfra.registerPostgres(registry);
        LocalS3 s3 = SharedTestInfra.s3();
        registry.add("flux.internal.token", () -> TOKEN);
        registry.add("flux.assets.s3.endpoint", s3::endpoint);
        registry.add("flux.assets.s3.access-key", s3::accessKey);
        registry.add("flux.assets.s3.secret-key", s3::secretKey);
        registry.add("flux.assets.s3.bucket", () -> "asset-api-test");
        registry.add("flux.assets.max-bytes", () -> MAX_BYTES);
        registry.add("flux.assets.max-url-ttl", () -> "1h");
    }

    WebTestClient client;

    @Autowired
    void client(WebTestClient client) {
        // The first calls to a cold S3 server on a busy 2-core build machine can exceed the default 5 s.
        this.client = client.mutate().responseTimeout(Duration.ofSeconds(30)).build();
    }

    @Test
    void uploadReadDownloadPresignAndDelete() throws Exception {
        byte[] png = png(48, 32);
        Asset asset = upload("tenant-a", "output", "job-17", MediaType.IMAGE_PNG, png)
                .expectStatus().isCreated()
                .expectHeader().value(HttpHeaders.LOCATION, location -> assertThat(location).startsWith("/internal/assets/"))
                .expectBody(Asset.class).returnResult().getResponseBody();

        assertThat(asset).isNotNull();
        assertThat(asset.tenantId()).isEqualTo("tenant-a");
        assertThat(asset.kind()).isEqualTo("output");
        assertThat(asset.key()).isEqualTo("tenant-a/outputs/" + asset.id() + ".png");
        assertThat(asset.contentType()).isEqualTo("image/png");
        assertThat(asset.size()).isEqualTo(png.length);
        assertThat(asset.sha256()).isEqualTo(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(png)));
        assertThat(asset.jobId()).isEqualTo("job-17");

        Asset read = get("/internal/assets/" + asset.id()).expectStatus().isOk()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(read).isEqualTo(asset);

        byte[] content = get("/internal/assets/" + asset.id() + "/content").expectStatus().isOk()
                .expectHeader().contentType(MediaType.IMAGE_PNG)
                .expectHeader().contentLength(png.length)
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(content).isEqualTo(png);

        PresignedUrl url = get("/internal/assets/" + asset.id() + "/url").expectStatus().isOk()
                .expectBody(PresignedUrl.class).returnResult().getResponseBody();
        assertThat(url).isNotNull();
        assertThat(url.url()).startsWith(SharedTestInfra.s3().endpoint() + "/asset-api-test/" + asset.key());
        assertThat(url.expiresAt()).isCloseTo(Instant.now().plusSeconds(600), within(30, ChronoUnit.SECONDS));
        HttpResponse<byte[]> download = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(url.url())).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(download.statusCode()).isEqualTo(200);
        assertThat(download.body()).isEqualTo(png);

        client.delete().uri("/internal/assets/" + asset.id()).header(InternalTokenFilter.HEADER, TOKEN)
                .exchange().expectStatus().isNoContent();
        get("/internal/assets/" + asset.id() + "/content").expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        get("/internal/assets/" + asset.id()).expectStatus().isNotFound();
        HttpResponse<byte[]> afterDelete = HttpClient.newHttpClient().send(
                HttpRequest.newBuilder(URI.create(url.url())).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
        assertThat(afterDelete.statusCode()).isEqualTo(404);
        // A repeated delete (a caller's retry) is not an error.
        client.delete().uri("/internal/assets/" + asset.id()).header(InternalTokenFilter.HEADER, TOKEN)
                .exchange().expectStatus().isNoContent();
    }

    @Test
    void referencesGoUnderTheirOwnPrefixAndPresignHonoursTheTtl() {
        Asset asset = upload("tenant-b", "reference", null, MediaType.IMAGE_PNG, png(8, 8))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(asset).isNotNull();
        assertThat(asset.key()).startsWith("tenant-b/references/");
        assertThat(asset.jobId()).isNull();

        PresignedUrl url = get("/internal/assets/" + asset.id() + "/url?ttlSeconds=120").expectStatus().isOk()
                .expectBody(PresignedUrl.class).returnResult().getResponseBody();
        assertThat(url).isNotNull();
        assertThat(url.url()).contains("X-Amz-Expires=120");
        assertThat(url.expiresAt()).isCloseTo(Instant.now().plusSeconds(120), within(30, ChronoUnit.SECONDS));

        get("/internal/assets/" + asset.id() + "/url?ttlSeconds=7200").expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("ttlSeconds").jsonPath("$.limit").isEqualTo(3600);
        get("/internal/assets/" + asset.id() + "?tenantId=tenant-b").expectStatus().isOk();
        get("/internal/assets/" + asset.id() + "?tenantId=tenant-c").expectStatus().isNotFound();
    }

    @Test
    void bytesMustMatchTheDeclaredType() {
        upload("tenant-a", "output", null, MediaType.IMAGE_JPEG, png(8, 8))
                .expectStatus().isEqualTo(422)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.field").isEqualTo("body");
        upload("tenant-a", "output", null, MediaType.IMAGE_PNG, "not an image at all".getBytes())
                .expectStatus().isEqualTo(422);
        upload("tenant-a", "output", null, MediaType.IMAGE_GIF, "GIF89a....".getBytes())
                .expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("contentType");
    }

    @Test
    void queryParametersAreChecked() {
        upload("tenant-a", "thumbnail", null, MediaType.IMAGE_PNG, png(8, 8))
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("kind");
        upload("../etc", "output", null, MediaType.IMAGE_PNG, png(8, 8))
                .expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("tenantId");
        get("/internal/assets/not-a-uuid").expectStatus().isNotFound();
    }

    @Test
    void tooLargeIsRefusedWithTheLimit() {
        byte[] big = Arrays.copyOf(png(8, 8), MAX_BYTES + 1);
        upload("tenant-a", "reference", null, MediaType.IMAGE_PNG, big)
                .expectStatus().isEqualTo(413)
                .expectBody().jsonPath("$.limit").isEqualTo(MAX_BYTES).jsonPath("$.field").isEqualTo("body");
    }

    @Test
    void internalTokenIsRequired() {
        client.post().uri("/internal/assets?tenantId=tenant-a&kind=output")
                .contentType(MediaType.IMAGE_PNG).bodyValue(png(8, 8))
                .exchange().expectStatus().isUnauthorized();
        client.get().uri("/internal/assets/00000000-0000-0000-0000-000000000000")
                .header(InternalTokenFilter.HEADER, "wrong")
                .exchange().expectStatus().isUnauthorized();
    }

    @Test
    void readinessWaitsForTheBucket() {
        client.get().uri("/actuator/health/readiness").exchange().expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("UP");
    }

    private WebTestClient.ResponseSpec upload(String tenant, String kind, String jobId, MediaType type, byte[] bytes) {
        String query = "tenantId=" + tenant + "&kind=" + kind + (jobId == null ? "" : "&jobId=" + jobId);
        return client.post().uri("/internal/assets?" + query)
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(type)
                .bodyValue(bytes)
                .exchange();
    }

    private WebTestClient.ResponseSpec get(String path) {
        return client.get().uri(path).header(InternalTokenFilter.HEADER, TOKEN).exchange();
    }

    static byte[] png(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, new Color(x * 255 / width, y * 255 / height, 128).getRGB());
            }
        }
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
