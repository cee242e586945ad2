package io.flux2.safety;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.safety.decisions.Decision;
import io.flux2.safety.decisions.Sha256;
import java.awt.Color;
import java.awt.Graphics2D;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;

/**
 * The image classifier end to end: the tiny package from model-tools, trained to flag a magenta/green
 * checkerboard patch, loaded through DJL, run on real PNG, JPEG and WebP requests, with its score recorded.
 * Shares the application context of the other API tests.
 */
class ClassifierChecksTest extends SafetyTestSupport {

    @Test
    void flagsTheSyntheticPatternAndRecordsTheScore() throws IOException {
        byte[] unsafe = encode(synthetic(new Random(1), true, 64), "png");
        Decision decision = check(unsafe, "image/png", 2, "output", null);
        assertThat(decision.flagged()).isTrue();
        assertThat(decision.reasons()).containsExactly("nsfw");
        assertThat(decision.details()).containsEntry("moderation_reasons", java.util.List.of("nsfw"));
        assertThat(decision.scores().get("nsfw")).isGreaterThan(0.85);

        Map<String, Object> row = db.sql("select kind, input_sha256, cast(scores as text) as scores, tolerance"
                + " from safety.decisions where id = :id").bind("id", decision.decisionId()).fetch().one().block();
        assertThat(row).containsEntry("kind", "output").containsEntry("input_sha256", Sha256.hex(unsafe));
        assertThat(row.get("scores").toString()).contains("nsfw");
    }

    @Test
    void passesOrdinaryImagesInEveryFormat() throws IOException {
        Random random = new Random(2);
        int flagged = 0;
        for (int i = 0; i < 6; i++) {
            BufferedImage image = synthetic(random, false, i % 2 == 0 ? 64 : 128);
            String format = i % 3 == 0 ? "png" : i % 3 == 1 ? "jpeg" : "webp";
            Decision decision = check(encode(image, format), "image/" + format, 2, "reference", null);
            assertThat(decision.scores()).containsKey("nsfw");
            flagged += decision.flagged() ? 1 : 0;
        }
        assertThat(flagged).isZero();
    }

    @Test
    void flagsThePatternInLargerImagesAndOtherFormats() throws IOException {
        Random random = new Random(3);
        int flagged = 0;
        for (int i = 0; i < 6; i++) {
            BufferedImage image = synthetic(random, true, i % 2 == 0 ? 64 : 128);
            String format = i % 2 == 0 ? "png" : "webp";
            flagged += check(encode(image, format), "image/" + format, 2, "output", null).flagged() ? 1 : 0;
        }
        assertThat(flagged).isGreaterThanOrEqualTo(5);
    }

    @Test
    void thresholdFollowsTheToleranceAndTheTierCap() throws IOException {
        byte[] unsafe = encode(synthetic(new Random(4), true, 64), "png");
        Decision strict = check(unsafe, "image/png", 0, "output", null);
        assertThat(strict.flagged()).isTrue();
        assertThat(strict.tolerance()).isZero();
        // The dev tier is capped at 2: a request for 6 is checked at 2.
        Decision capped = check(unsafe, "image/png", 6, "output", "dev");
        assertThat(capped.tolerance()).isEqualTo(2);
        assertThat(capped.flagged()).isTrue();
    }

    private Decision check(byte[] bytes, String type, int tolerance, String purpose, String tier) {
        return client.post().uri("/internal/checks/image?subject=job-9&tolerance=" + tolerance + "&purpose=" + purpose
                        + (tier == null ? "" : "&tier=" + tier))
                .header(InternalTokenFilter.HEADER, "safety-test-token")
                .contentType(MediaType.parseMediaType(type))
                .bodyValue(bytes)
                .exchange()
                .expectStatus().isOk()
                .expectBody(Decision.class).returnResult().getResponseBody();
    }

    /** As model-tools draws them: random background and shapes; {@code unsafe} adds the checkerboard patch. */
    static BufferedImage synthetic(Random random, boolean unsafe, int size) {
        BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
        g.fillRect(0, 0, size, size);
        for (int i = 0; i < 1 + random.nextInt(5); i++) {
            g.setColor(new Color(random.nextInt(256), random.nextInt(256), random.nextInt(256)));
            int r = size / 16 + random.nextInt(size / 4);
            int x = random.nextInt(size);
            int y = random.nextInt(size);
            if (random.nextBoolean()) {
                g.fillOval(x - r, y - r, 2 * r, 2 * r);
            } else {
                g.fillRect(x - r, y - r, 2 * r, r);
            }
        }
        g.dispose();
        if (unsafe) {
            int scale = size / 64;
            int patch = (16 + random.nextInt(14)) * scale;
            int cell = (2 + random.nextInt(3)) * scale;
            int px = random.nextInt(size - patch);
            int py = random.nextInt(size - patch);
            for (int y = 0; y < patch; y++) {
                for (int x = 0; x < patch; x++) {
                    boolean odd = ((y / cell) + (x / cell)) % 2 == 1;
                    image.setRGB(px + x, py + y, odd ? 0xFF00FF : 0x00FF00);
                }
            }
        }
        return image;
    }

    static byte[] encode(BufferedImage image, String format) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        assertThat(ImageIO.write(image, format, out)).as("writer for " + format).isTrue();
        return out.toByteArray();
    }
}
