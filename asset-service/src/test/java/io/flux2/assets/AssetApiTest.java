package io.flux2.assets;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.infra.SharedTestInfra;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.security.MessageDigest;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;

class AssetApiTest extends AssetTestSupport {

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
}
