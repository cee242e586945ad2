package io.flux2.assets;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.flux2.assets.retention.RetentionSweeper;
import io.flux2.common.auth.InternalTokenFilter;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.zip.CRC32;
import java.util.zip.Deflater;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.io.ByteArrayResource;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

/** References by every route, the hostile-file corpus, outputs with provenance, and retention. */
class ReferenceApiTest extends AssetTestSupport {

    private static HttpServer server;
    private static final AtomicInteger hits = new AtomicInteger();
    private static final byte[] SERVED = png(20, 10);

    @Autowired
    DatabaseClient db;

    @Autowired
    RetentionSweeper sweeper;

    @Autowired
    Assets assets;

    @Autowired
    io.flux2.assets.catalog.AssetCatalog catalog;

    @BeforeAll
    static void startLoopbackServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/img.png", exchange -> {
            hits.incrementAndGet();
            exchange.getResponseHeaders().add("Content-Type", "image/png");
            exchange.sendResponseHeaders(200, SERVED.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(SERVED);
            }
        });
        server.createContext("/to-private", exchange -> redirect(exchange, "http://10.0.0.1/img.png"));
        server.createContext("/to-metadata", exchange -> redirect(exchange, "http://169.254.169.254/latest/meta-data/"));
        server.createContext("/to-loopback-name", exchange -> redirect(exchange, "http://localhost:"
                + server.getAddress().getPort() + "/img.png"));
        server.createContext("/to-self", exchange -> redirect(exchange, "/img.png"));
        server.createContext("/loop", exchange -> redirect(exchange, "/loop"));
        server.createContext("/big", exchange -> {
            byte[] big = new byte[MAX_BYTES + 10];
            exchange.sendResponseHeaders(200, 0); // chunked: no declared length
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(big);
            } catch (IOException ignored) {
                // the client hung up once it had enough
            }
        });
        server.start();
    }

    private static void redirect(com.sun.net.httpserver.HttpExchange exchange, String location) throws IOException {
        exchange.getResponseHeaders().add("Location", location);
        exchange.sendResponseHeaders(302, -1);
        exchange.close();
    }

    @AfterAll
    static void stopServer() {
        server.stop(0);
    }

    private static String base() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    // --- sources -------------------------------------------------------------------------------------------

    @Test
    void base64DataUriAndAssetIdDeduplicatePerTenant() {
        byte[] image = randomPng(24, 16, 1);
        Asset first = reference("tenant-r", Base64.getEncoder().encodeToString(image)).expectStatus().isCreated()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(first).isNotNull();
        assertThat(first.width()).isEqualTo(24);
        assertThat(first.height()).isEqualTo(16);
        assertThat(first.contentType()).isEqualTo("image/png");
        assertThat(first.key()).isEqualTo("tenant-r/references/" + first.sha256() + ".png");

        Asset again = reference("tenant-r", "data:image/jpeg;base64," + Base64.getEncoder().encodeToString(image))
                .expectStatus().isOk().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(again).isNotNull();
        assertThat(again.id()).isEqualTo(first.id());

        Asset byId = reference("tenant-r", first.id().toString()).expectStatus().isOk()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(byId).isEqualTo(first);
        reference("tenant-other", first.id().toString()).expectStatus().isNotFound();

        Asset otherTenant = reference("tenant-other", Base64.getEncoder().encodeToString(image))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(otherTenant).isNotNull();
        assertThat(otherTenant.id()).isNotEqualTo(first.id());
        assertThat(otherTenant.sha256()).isEqualTo(first.sha256());
    }

    @Test
    void multipartUpload() {
        byte[] image = randomPng(30, 12, 2);
        Asset asset = multipart("tenant-m", image, "photo.png", MediaType.IMAGE_PNG).expectStatus().isCreated()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(asset).isNotNull();
        assertThat(asset.width()).isEqualTo(30);
        assertThat(asset.kind()).isEqualTo("reference");
    }

    @Test
    void urlFromAnAllowedLoopbackServer() {
        Asset asset = reference("tenant-u", base() + "/img.png").expectStatus().is2xxSuccessful()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(asset).isNotNull();
        assertThat(asset.width()).isEqualTo(20);
        // A same-host redirect is followed, and checked.
        reference("tenant-u", base() + "/to-self").expectStatus().isOk();
    }

    @Test
    void urlsToInternalAddressesAreRefusedBeforeAnyConnection() {
        int port = server.getAddress().getPort();
        int before = hits.get();
        for (String url : List.of("http://[::1]:" + port + "/img.png", "http://2130706433:" + port + "/img.png",
                "http://0x7f000001:" + port + "/img.png", "http://127.1:" + port + "/img.png",
                "http://localhost:" + port + "/img.png", "http://127.0.0.2:" + port + "/img.png",
                "http://[::ffff:127.0.0.1]:" + port + "/img.png", "http://169.254.169.254/latest/meta-data/",
                "http://10.0.0.1/", "http://0.0.0.0:" + port + "/img.png", "file:///etc/passwd",
                "ftp://127.0.0.1/img.png", "gopher://127.0.0.1:" + port + "/")) {
            reference("tenant-u", url).expectStatus().isEqualTo(422)
                    .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                    .expectBody().jsonPath("$.field").isEqualTo("source");
        }
        assertThat(hits.get()).isEqualTo(before);
    }

    @Test
    void redirectsToRefusedAddressesAreRefused() {
        for (String path : List.of("/to-private", "/to-metadata", "/to-loopback-name")) {
            long start = System.nanoTime();
            reference("tenant-u", base() + path).expectStatus().isEqualTo(422)
                    .expectBody().jsonPath("$.field").isEqualTo("source")
                    .jsonPath("$.detail").value(detail -> assertThat(detail.toString()).contains("redirect"));
            // Refused on the decision, not after a connect attempt timed out.
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(3));
        }
        reference("tenant-u", base() + "/loop").expectStatus().isEqualTo(422);
        reference("tenant-u", base() + "/big").expectStatus().isEqualTo(413);
        reference("tenant-u", base() + "/missing").expectStatus().isEqualTo(422);
    }

    @Test
    void badSourcesAreProblems() {
        reference("tenant-s", "").expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("source");
        reference("tenant-s", "not base64 !!!").expectStatus().isEqualTo(422);
        reference("tenant-s", "data:image/png,rawtext").expectStatus().isEqualTo(422);
        String huge = Base64.getEncoder().encodeToString(new byte[MAX_BYTES * 2]);
        reference("tenant-s", huge).expectStatus().isEqualTo(413);
        reference("../x", Base64.getEncoder().encodeToString(png(4, 4))).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("tenantId");
    }

    // --- hostile files -------------------------------------------------------------------------------------

    @Test
    void pngClaiming50000x50000IsRefusedFromItsHeader() {
        byte[] bomb = pngWithHeader(50_000, 50_000);
        for (WebTestClient.ResponseSpec response : List.of(
                upload("tenant-h", "reference", null, MediaType.IMAGE_PNG, bomb),
                multipart("tenant-h", bomb, "bomb.png", MediaType.IMAGE_PNG),
                reference("tenant-h", Base64.getEncoder().encodeToString(bomb)))) {
            response.expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("body")
                    .jsonPath("$.limit").isEqualTo(4096);
        }
    }

    @Test
    void realDecompressionBombOverThePixelLimitIsRefused() {
        // 2000x2000 of one colour: a few KB on the wire, 16 MB as pixels.
        byte[] bomb = encode(new BufferedImage(2000, 2000, BufferedImage.TYPE_INT_RGB), "png");
        assertThat(bomb.length).isLessThan(MAX_BYTES);
        upload("tenant-h", "reference", null, MediaType.IMAGE_PNG, bomb).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.limit").isEqualTo(MAX_PIXELS);
        upload("tenant-h", "output", null, MediaType.IMAGE_PNG, bomb).expectStatus().isEqualTo(422);
    }

    @Test
    void truncatedJpegIsRefused() {
        byte[] jpeg = encode(randomImage(64, 48, 3), "jpeg");
        byte[] truncated = Arrays.copyOf(jpeg, jpeg.length / 2);
        upload("tenant-h", "reference", null, MediaType.IMAGE_JPEG, truncated).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.detail").value(d -> assertThat(d.toString()).contains("truncated"));
        byte[] truncatedPng = Arrays.copyOf(randomPng(32, 32, 4), 200);
        upload("tenant-h", "reference", null, MediaType.IMAGE_PNG, truncatedPng).expectStatus().isEqualTo(422);
    }

    @Test
    void htmlNamedPngIsRefused() {
        byte[] html = "<!DOCTYPE html><html><script>alert(1)</script></html>".getBytes(StandardCharsets.UTF_8);
        multipart("tenant-h", html, "cat.png", MediaType.IMAGE_PNG).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.detail").value(d -> assertThat(d.toString()).contains("HTML"));
        upload("tenant-h", "reference", null, MediaType.IMAGE_PNG, html).expectStatus().isEqualTo(422);
        upload("tenant-h", "output", null, MediaType.IMAGE_PNG, html).expectStatus().isEqualTo(422);
    }

    @Test
    void zipPngPolyglotIsRefused() throws IOException {
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream out = new ZipOutputStream(zip)) {
            out.putNextEntry(new ZipEntry("payload.html"));
            out.write("<script>alert(1)</script>".getBytes(StandardCharsets.UTF_8));
            out.closeEntry();
        }
        byte[] polyglot = concat(randomPng(16, 16, 5), zip.toByteArray());
        upload("tenant-h", "reference", null, MediaType.IMAGE_PNG, polyglot).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.detail").value(d -> assertThat(d.toString()).contains("ZIP"));
        byte[] jpegPolyglot = concat(encode(randomImage(16, 16, 6), "jpeg"), zip.toByteArray());
        upload("tenant-h", "reference", null, MediaType.IMAGE_JPEG, jpegPolyglot).expectStatus().isEqualTo(422);
    }

    @Test
    void jpegWithGpsExifIsStoredUprightWithoutMetadata() {
        // 40x20 stored, EXIF orientation 6 (rotate 90 clockwise), a GPS position and a description.
        BufferedImage image = new BufferedImage(40, 20, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 20; y++) {
            for (int x = 0; x < 40; x++) {
                image.setRGB(x, y, x < 20 ? Color.RED.getRGB() : Color.BLUE.getRGB());
            }
        }
        byte[] jpeg = withExif(encode(image, "jpeg"), exifWithGps(6));
        Asset asset = upload("tenant-h", "reference", null, MediaType.IMAGE_JPEG, jpeg).expectStatus().isCreated()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(asset).isNotNull();
        assertThat(asset.width()).isEqualTo(20);
        assertThat(asset.height()).isEqualTo(40);
        byte[] stored = content(asset);
        assertClean(stored);
        BufferedImage upright = read(stored);
        // The left half (red) is now at the top.
        assertThat(new Color(upright.getRGB(10, 5)).getRed()).isGreaterThan(200);
        assertThat(new Color(upright.getRGB(10, 35)).getBlue()).isGreaterThan(200);
    }

    @Test
    void pngMetadataIsStripped() {
        byte[] png = randomPng(10, 10, 7);
        byte[] withText = insertAfterIhdr(png, chunk("tEXt", "Comment\0SECRET-LOCATION".getBytes(StandardCharsets.ISO_8859_1)));
        Asset asset = upload("tenant-h", "reference", null, MediaType.IMAGE_PNG, withText).expectStatus().isCreated()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(asset).isNotNull();
        assertClean(content(asset));
    }

    @Test
    void oneByOneImageIsStored() {
        Asset asset = upload("tenant-h", "reference", null, MediaType.IMAGE_PNG, png(1, 1)).expectStatus()
                .is2xxSuccessful().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(asset).isNotNull();
        assertThat(asset.width()).isEqualTo(1);
        assertThat(asset.height()).isEqualTo(1);
        assertClean(content(asset));
    }

    @Test
    void webpIsDecodedAndStoredAsPng() {
        byte[] webp = encode(randomImage(33, 17, 8), "webp");
        assertThat(new String(webp, 8, 4, StandardCharsets.US_ASCII)).isEqualTo("WEBP");
        Asset asset = multipart("tenant-h", webp, "x.webp", MediaType.parseMediaType("image/webp"))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(asset).isNotNull();
        assertThat(asset.width()).isEqualTo(33);
        assertThat(asset.height()).isEqualTo(17);
        assertClean(content(asset));
    }

    @Test
    void otherFormatsAndEmptyBodiesAreRefused() {
        byte[] gif = encode(randomImage(4, 4, 9), "gif");
        upload("tenant-h", "reference", null, MediaType.IMAGE_GIF, gif).expectStatus().isEqualTo(422);
        multipart("tenant-h", gif, "x.png", MediaType.IMAGE_PNG).expectStatus().isEqualTo(422);
        multipart("tenant-h", new byte[0], "x.png", MediaType.IMAGE_PNG).expectStatus().isEqualTo(422);
        upload("tenant-h", "reference", null, MediaType.TEXT_HTML, png(4, 4)).expectStatus().isEqualTo(422)
                .expectBody().jsonPath("$.field").isEqualTo("contentType");
    }

    /** A reference is stored re-encoded; its content names the file it was made from, for hash blocklists. */
    @Test
    void aReferencesContentNamesTheFileItWasMadeFrom() throws Exception {
        byte[] image = encode(randomImage(24, 16, 16), "jpeg");
        Asset reference = reference("tenant-src", Base64.getEncoder().encodeToString(image)).expectStatus().isCreated()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(reference).isNotNull();
        String sent = java.util.HexFormat.of().formatHex(
                java.security.MessageDigest.getInstance("SHA-256").digest(image));
        assertThat(reference.sha256()).as("stored re-encoded").isNotEqualTo(sent);
        get("/internal/assets/" + reference.id() + "/content").expectStatus().isOk()
                .expectHeader().valueEquals("X-Source-Sha256", sent);
    }

    /** Files that make the same reference (here: one picture with different text chunks) keep the newest few. */
    @Test
    void aReferenceKeepsTheNewestFilesItWasMadeFrom() throws Exception {
        byte[] picture = randomPng(20, 12, 17);
        List<String> sent = new java.util.ArrayList<>();
        Asset reference = null;
        for (int i = 0; i < MAX_SOURCES + 1; i++) {
            byte[] file = withTextChunk(picture, "upload " + i);
            sent.add(java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(file)));
            reference = reference("tenant-many", Base64.getEncoder().encodeToString(file))
                    .expectBody(Asset.class).returnResult().getResponseBody();
        }
        assertThat(reference).isNotNull();
        String header = get("/internal/assets/" + reference.id() + "/content").expectStatus().isOk()
                .returnResult(byte[].class).getResponseHeaders().getFirst("X-Source-Sha256");
        assertThat(header).isNotNull();
        assertThat(List.of(header.split(","))).hasSize(MAX_SOURCES).startsWith(sent.get(MAX_SOURCES))
                .doesNotContain(sent.get(0));
    }

    /** The PNG with a tEXt chunk after its header: other bytes, the same pixels. */
    private static byte[] withTextChunk(byte[] png, String text) {
        byte[] data = ("Comment\0" + text).getBytes(StandardCharsets.ISO_8859_1);
        java.nio.ByteBuffer chunk = java.nio.ByteBuffer.allocate(12 + data.length);
        chunk.putInt(data.length).put("tEXt".getBytes(StandardCharsets.US_ASCII)).put(data);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(chunk.array(), 4, 4 + data.length);
        chunk.putInt((int) crc.getValue());
        int afterHeader = 8 + 25; // signature, then IHDR (length, type, 13 bytes, crc)
        byte[] out = new byte[png.length + chunk.capacity()];
        System.arraycopy(png, 0, out, 0, afterHeader);
        System.arraycopy(chunk.array(), 0, out, afterHeader, chunk.capacity());
        System.arraycopy(png, afterHeader, out, afterHeader + chunk.capacity(), png.length - afterHeader);
        return out;
    }

    /** "Edit my last picture": an output named by its id becomes a PNG reference a worker can read. */
    @Test
    void anOutputNamedByItsIdBecomesAPngReference() {
        Asset output = client.post().uri("/internal/assets?tenantId=tenant-e&kind=output&jobId=job-1&format=webp")
                .header(InternalTokenFilter.HEADER, TOKEN).contentType(MediaType.IMAGE_PNG)
                .bodyValue(randomPng(40, 24, 11))
                .exchange().expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(output).isNotNull();

        Asset reference = reference("tenant-e", output.id().toString()).expectStatus().isCreated()
                .expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(reference).isNotNull();
        assertThat(reference.id()).isNotEqualTo(output.id());
        assertThat(reference.kind()).isEqualTo("reference");
        assertThat(reference.contentType()).isEqualTo("image/png");
        BufferedImage decoded = read(content(reference));
        assertThat(decoded.getWidth()).isEqualTo(40);
        assertThat(decoded.getHeight()).isEqualTo(24);
        reference("tenant-other", output.id().toString()).expectStatus().isNotFound();
    }

    /** A reference used by id counts as used: the retention sweep measures from its last use. */
    @Test
    void aReferenceReusedByIdIsTouched() {
        Asset first = reference("tenant-t", Base64.getEncoder().encodeToString(randomPng(20, 20, 12)))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(first).isNotNull();
        db.sql("update assets.assets set last_used_at = now() - interval '20 days' where id = :id")
                .bind("id", first.id()).then().block();
        reference("tenant-t", first.id().toString()).expectStatus().isOk();
        Boolean recent = db.sql("select last_used_at > now() - interval '1 minute' as recent from assets.assets "
                        + "where id = :id")
                .bind("id", first.id()).map(row -> row.get("recent", Boolean.class)).one().block();
        assertThat(recent).isTrue();
    }

    // --- outputs -------------------------------------------------------------------------------------------

    @Test
    void outputsAreEncodedWithProvenance() {
        byte[] source = randomPng(40, 24, 10);
        for (String format : List.of("png", "jpeg", "webp")) {
            Asset asset = client.post().uri("/internal/assets?tenantId=tenant-o&kind=output&jobId=job-77"
                            + "&model=flux2-dev&format=" + format)
                    .header(InternalTokenFilter.HEADER, TOKEN).contentType(MediaType.IMAGE_PNG).bodyValue(source)
                    .exchange().expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
            assertThat(asset).isNotNull();
            assertThat(asset.contentType()).isEqualTo(format.equals("jpeg") ? "image/jpeg" : "image/" + format);
            assertThat(asset.width()).isEqualTo(40);
            byte[] stored = content(asset);
            String text = new String(stored, StandardCharsets.ISO_8859_1);
            assertThat(text).contains("trainedAlgorithmicMedia").contains("flux2-dev").contains("job-77")
                    .contains("AIGenerated=\"true\"");
            BufferedImage decoded = read(stored);
            assertThat(decoded.getWidth()).isEqualTo(40);
            assertThat(decoded.getHeight()).isEqualTo(24);
            if (format.equals("webp")) {
                assertThat(text).startsWith("RIFF").contains("WEBPVP8X").contains("XMP ");
                assertThat(text).containsAnyOf("VP8 ", "VP8L");
            }
            if (format.equals("png")) {
                assertThat(text).contains("AI generated;flux2");
            }
        }
        client.post().uri("/internal/assets?tenantId=tenant-o&kind=output&format=gif")
                .header(InternalTokenFilter.HEADER, TOKEN).contentType(MediaType.IMAGE_PNG).bodyValue(source)
                .exchange().expectStatus().isEqualTo(422).expectBody().jsonPath("$.field").isEqualTo("format");
    }

    // --- retention -----------------------------------------------------------------------------------------

    @Test
    void sweeperDeletesExpiredOutputsAndUnusedReferences() {
        Asset output = upload("tenant-ret", "output", "job-1", MediaType.IMAGE_PNG, randomPng(8, 8, 11))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        Asset reference = upload("tenant-ret", "reference", null, MediaType.IMAGE_PNG, randomPng(8, 8, 12))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        Asset fresh = upload("tenant-ret", "output", "job-2", MediaType.IMAGE_PNG, randomPng(8, 8, 13))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(output).isNotNull();
        assertThat(reference).isNotNull();
        assertThat(fresh).isNotNull();
        db.sql("update assets.assets set created_at = now() - interval '8 days' where id = :id")
                .bind("id", output.id()).then().block();
        db.sql("update assets.assets set created_at = now() - interval '31 days' where id = :id")
                .bind("id", reference.id()).then().block();

        Long deleted = sweeper.sweepOnce().block(Duration.ofSeconds(30));
        assertThat(deleted).isGreaterThanOrEqualTo(2);
        get("/internal/assets/" + output.id()).expectStatus().isNotFound();
        get("/internal/assets/" + reference.id()).expectStatus().isNotFound();
        get("/internal/assets/" + fresh.id() + "/content").expectStatus().isOk();
    }

    /** An output's URL ends when its retention does, and an output past it has no URL at all. */
    @Test
    void anOutputsUrlNeverOutlivesItsRetention() {
        Asset output = upload("tenant-url", "output", "job-u", MediaType.IMAGE_PNG, randomPng(8, 8, 15))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(output).isNotNull();
        // Retention is 7 days here: ten minutes of it are left, and the URL is asked for an hour.
        db.sql("update assets.assets set created_at = now() - interval '7 days' + interval '10 minutes' "
                        + "where id = :id")
                .bind("id", output.id()).then().block();
        PresignedUrl url = get("/internal/assets/" + output.id() + "/url?ttlSeconds=3600").expectStatus().isOk()
                .expectBody(PresignedUrl.class).returnResult().getResponseBody();
        assertThat(url).isNotNull();
        assertThat(url.expiresAt()).isBetween(java.time.Instant.now().plusSeconds(540),
                java.time.Instant.now().plusSeconds(610));

        db.sql("update assets.assets set created_at = now() - interval '8 days' where id = :id")
                .bind("id", output.id()).then().block();
        get("/internal/assets/" + output.id() + "/url").expectStatus().isNotFound();
    }

    /** A use between the sweep choosing a reference and deleting it keeps it: a job was just given its id. */
    @Test
    void aReferenceUsedAfterTheSweepChoseItIsKept() {
        Asset reference = upload("tenant-race", "reference", null, MediaType.IMAGE_PNG, randomPng(8, 8, 14))
                .expectStatus().isCreated().expectBody(Asset.class).returnResult().getResponseBody();
        assertThat(reference).isNotNull();
        db.sql("update assets.assets set created_at = now() - interval '31 days' where id = :id")
                .bind("id", reference.id()).then().block();
        java.time.Instant cutoff = java.time.Instant.now().minus(Duration.ofDays(30));
        Asset chosen = catalog.expired("reference", cutoff, 1000).filter(a -> a.id().equals(reference.id()))
                .blockFirst(Duration.ofSeconds(10));
        assertThat(chosen).isNotNull();

        reference("tenant-race", reference.id().toString()).expectStatus().isOk();
        assertThat(assets.expire(chosen, cutoff).block(Duration.ofSeconds(10))).isFalse();
        get("/internal/assets/" + reference.id() + "/content").expectStatus().isOk();
    }

    // --- helpers -------------------------------------------------------------------------------------------

    private WebTestClient.ResponseSpec reference(String tenant, String source) {
        return client.post().uri("/internal/assets/references")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("tenantId", tenant, "source", source))
                .exchange();
    }

    private WebTestClient.ResponseSpec multipart(String tenant, byte[] bytes, String filename, MediaType type) {
        MultipartBodyBuilder body = new MultipartBodyBuilder();
        body.part("tenantId", tenant);
        body.part("file", new ByteArrayResource(bytes) {
            @Override
            public String getFilename() {
                return filename;
            }
        }).contentType(type);
        return client.post().uri("/internal/assets/references")
                .header(InternalTokenFilter.HEADER, TOKEN)
                .contentType(MediaType.MULTIPART_FORM_DATA)
                .body(BodyInserters.fromMultipartData(body.build()))
                .exchange();
    }

    private byte[] content(Asset asset) {
        return get("/internal/assets/" + asset.id() + "/content").expectStatus().isOk()
                .expectBody(byte[].class).returnResult().getResponseBody();
    }

    /** A PNG with only the chunks pixels need, and none of the markers planted in the inputs. */
    private static void assertClean(byte[] png) {
        assertThat(Arrays.copyOf(png, 8)).isEqualTo(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'});
        List<String> types = new ArrayList<>();
        ByteBuffer buffer = ByteBuffer.wrap(png).order(ByteOrder.BIG_ENDIAN);
        int pos = 8;
        while (pos < png.length) {
            int length = buffer.getInt(pos);
            types.add(new String(png, pos + 4, 4, StandardCharsets.ISO_8859_1));
            pos += 12 + length;
        }
        assertThat(types).first().isEqualTo("IHDR");
        assertThat(types).last().isEqualTo("IEND");
        assertThat(types).allMatch(t -> List.of("IHDR", "IDAT", "IEND").contains(t));
        String text = new String(png, StandardCharsets.ISO_8859_1);
        assertThat(text).doesNotContain("Exif").doesNotContain("SECRET").doesNotContain("GPS");
    }

    private static BufferedImage read(byte[] bytes) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            assertThat(image).isNotNull();
            return image;
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    static BufferedImage randomImage(int width, int height, long seed) {
        Random random = new Random(seed);
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                image.setRGB(x, y, random.nextInt(0xFFFFFF));
            }
        }
        return image;
    }

    static byte[] randomPng(int width, int height, long seed) {
        return encode(randomImage(width, height, seed + System.nanoTime()), "png");
    }

    static byte[] pngWithHeader(int width, int height) {
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(width).putInt(height).put((byte) 8).put((byte) 2)
                .put((byte) 0).put((byte) 0).put((byte) 0);
        Deflater deflater = new Deflater();
        deflater.setInput(new byte[64]);
        deflater.finish();
        byte[] idat = new byte[256];
        int n = deflater.deflate(idat);
        return concat(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'}, chunk("IHDR", ihdr.array()),
                chunk("IDAT", Arrays.copyOf(idat, n)), chunk("IEND", new byte[0]));
    }

    static byte[] chunk(String type, byte[] data) {
        byte[] typeBytes = type.getBytes(StandardCharsets.ISO_8859_1);
        CRC32 crc = new CRC32();
        crc.update(typeBytes);
        crc.update(data);
        return ByteBuffer.allocate(12 + data.length).putInt(data.length).put(typeBytes).put(data)
                .putInt((int) crc.getValue()).array();
    }

    static byte[] insertAfterIhdr(byte[] png, byte[] chunk) {
        return concat(Arrays.copyOf(png, 33), chunk, Arrays.copyOfRange(png, 33, png.length));
    }

    /** TIFF (little-endian): IFD0 with orientation, a description and a GPS IFD with a latitude. */
    static byte[] exifWithGps(int orientation) {
        ByteBuffer b = ByteBuffer.allocate(160).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 'I').put((byte) 'I').putShort((short) 42).putInt(8);
        // IFD0 at 8: 3 entries.
        b.putShort((short) 3);
        b.putShort((short) 0x0112).putShort((short) 3).putInt(1).putShort((short) orientation).putShort((short) 0);
        b.putShort((short) 0x010E).putShort((short) 2).putInt(16).putInt(100); // description at 100
        b.putShort((short) 0x8825).putShort((short) 4).putInt(1).putInt(50); // GPS IFD at 50
        b.putInt(0);
        // GPS IFD at 50: latitude ref "N" and latitude (3 rationals at 76).
        b.position(50);
        b.putShort((short) 2);
        b.putShort((short) 1).putShort((short) 2).putInt(2).put((byte) 'N').put((byte) 0).putShort((short) 0);
        b.putShort((short) 2).putShort((short) 5).putInt(3).putInt(76);
        b.putInt(0);
        b.position(76);
        b.putInt(48).putInt(1).putInt(51).putInt(1).putInt(2904).putInt(100);
        b.position(100);
        b.put("SECRET-LOCATION\0".getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    /** Puts an APP1 Exif segment right after SOI. */
    static byte[] withExif(byte[] jpeg, byte[] tiff) {
        byte[] header = "Exif\0\0".getBytes(StandardCharsets.US_ASCII);
        int length = 2 + header.length + tiff.length;
        byte[] segment = concat(new byte[] {(byte) 0xFF, (byte) 0xE1, (byte) (length >> 8), (byte) length}, header, tiff);
        return concat(Arrays.copyOf(jpeg, 2), segment, Arrays.copyOfRange(jpeg, 2, jpeg.length));
    }

    static byte[] concat(byte[]... parts) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            out.writeBytes(part);
        }
        return out.toByteArray();
    }
}
