package io.flux2.assets.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.assets.Asset;
import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.infra.LocalS3;
import io.flux2.infra.SharedTestInfra;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The S3 server stops and comes back on the same port: while it is down, calls that need it are 503 with
 * Retry-After within a second; once it is back, the service recovers by itself and nothing stored is lost.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureWebTestClient
class StoreOutageTest {

    private static final String TOKEN = "outage-token";
    private static final Path FOLDER;
    private static final int PORT;
    private static LocalS3 s3;

    static {
        try {
            FOLDER = Files.createTempDirectory("flux2-outage-s3-");
            try (ServerSocket socket = new ServerSocket(0)) {
                PORT = socket.getLocalPort();
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        s3 = start();
    }

    private static LocalS3 start() {
        return LocalS3.start(PORT, FOLDER, SharedTestInfra.S3_ACCESS_KEY, SharedTestInfra.S3_SECRET_KEY);
    }

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        SharedTestInfra.registerPostgres(registry);
        registry.add("flux.internal.token", () -> TOKEN);
        registry.add("flux.assets.s3.endpoint", () -> "http://127.0.0.1:" + PORT);
        registry.add("flux.assets.s3.access-key", () -> SharedTestInfra.S3_ACCESS_KEY);
        registry.add("flux.assets.s3.secret-key", () -> SharedTestInfra.S3_SECRET_KEY);
        registry.add("flux.assets.s3.bucket", () -> "outage-test");
        registry.add("flux.assets.retention.sweep-interval", () -> "0s");
    }

    @AfterAll
    static void stop() {
        if (s3 != null) {
            s3.close();
        }
    }

    WebTestClient client;

    @Autowired
    void client(WebTestClient client) {
        this.client = client.mutate().responseTimeout(Duration.ofSeconds(30)).build();
    }

    @Test
    void unavailableWhileDownAndRecoversByItself() throws Exception {
        Asset before = upload().expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(before).isNotNull();

        s3.close();
        s3 = null;
        for (int i = 0; i < 12; i++) {
            long start = System.nanoTime();
            EntityExchangeResult<byte[]> refused = upload().expectStatus().isEqualTo(503)
                    .expectHeader().exists(HttpHeaders.RETRY_AFTER)
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().returnResult();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("refusal %d", i)
                    .isLessThan(Duration.ofSeconds(1));
            assertThat(refused.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER)).matches("[1-9][0-9]*");
        }
        get("/internal/assets/" + before.id() + "/content").expectStatus().isEqualTo(503)
                .expectHeader().exists(HttpHeaders.RETRY_AFTER);

        s3 = start();
        long restarted = System.nanoTime();
        String after = null;
        while (after == null && System.nanoTime() - restarted < Duration.ofSeconds(20).toNanos()) {
            EntityExchangeResult<byte[]> result = upload().expectBody().returnResult();
            if (result.getStatus().value() == 201) {
                after = result.getResponseHeaders().getLocation().toString();
            } else {
                assertThat(result.getStatus().value()).isEqualTo(503);
                Thread.sleep(250);
            }
        }
        assertThat(after).as("an upload succeeded after the restart").isNotNull();
        assertThat(Duration.ofNanos(System.nanoTime() - restarted)).isLessThan(Duration.ofSeconds(10));
        // What was stored before the outage is still there.
        get("/internal/assets/" + before.id() + "/content").expectStatus().isOk();
        get(after + "/content").expectStatus().isOk();
    }

    private WebTestClient.ResponseSpec upload() throws IOException {
        BufferedImage image = new BufferedImage(4, 4, BufferedImage.TYPE_INT_RGB);
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(image, "png", png);
        return client.post().uri("/internal/assets?tenantId=tenant-x&kind=output&jobId=job-1")
                .header(InternalTokenFilter.HEADER, TOKEN).contentType(MediaType.IMAGE_PNG)
                .bodyValue(png.toByteArray()).exchange();
    }

    private WebTestClient.ResponseSpec get(String path) {
        return client.get().uri(path).header(InternalTokenFilter.HEADER, TOKEN).exchange();
    }
}
