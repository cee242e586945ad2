package io.flux2.assets;

import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.infra.LocalS3;
import io.flux2.infra.SharedTestInfra;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/** One application context for the API tests: the shared PostgreSQL and S3 server, small limits. */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
abstract class AssetTestSupport {

    static final String TOKEN = "asset-test-token";
    static final int MAX_BYTES = 64 * 1024;
    static final int MAX_SOURCES = 3;
    static final long MAX_PIXELS = 1024 * 1024;

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
        registry.add("flux.assets.images.max-pixels", () -> MAX_PIXELS);
        registry.add("flux.assets.images.max-side", () -> 4096);
        registry.add("flux.assets.images.max-reference-sources", () -> MAX_SOURCES);
        // Only the literal 127.0.0.1 is exempt, so tests can serve references from a loopback server.
        registry.add("flux.assets.fetch.allowed-hosts[0]", () -> "127.0.0.1");
        registry.add("flux.assets.fetch.timeout", () -> "5s");
        registry.add("flux.assets.retention.sweep-interval", () -> "0s");
    }

    WebTestClient client;

    @Autowired
    void client(WebTestClient client) {
        // The first calls to a cold S3 server on a busy 2-core build machine can exceed the default 5 s.
        this.client = client.mutate().responseTimeout(Duration.ofSeconds(30)).build();
    }

    WebTestClient.ResponseSpec upload(String tenant, String kind, String jobId, MediaType type, byte[] bytes) {
        String query = "tenantId=" + tenant + "&kind=" + kind + (jobId == null ? "" : "&jobId=" + jobId);
        return client.post().uri("/internal/assets?" + query)
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(type)
                .bodyValue(bytes)
                .exchange();
    }

    WebTestClient.ResponseSpec get(String path) {
        return client.get().uri(path).header(InternalTokenFilter.HEADER, TOKEN).exchange();
    }

    static byte[] png(int width, int height) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, new Color(x * 255 / width, y * 255 / height, 128).getRGB());
            }
        }
        return encode(image, "png");
    }

    static byte[] encode(BufferedImage image, String format) {
        try (ByteArrayOutputStream out = new ByteArrayOutputStream()) {
            if (!ImageIO.write(image, format, out)) {
                throw new IllegalStateException("no writer for " + format);
            }
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
