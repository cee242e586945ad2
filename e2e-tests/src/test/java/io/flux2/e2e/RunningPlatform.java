package io.flux2.e2e;

import io.flux2.localstack.LocalPlatform;
import io.flux2.localstack.ModelDefaults;
import io.flux2.localstack.PlatformPorts;
import io.flux2.localstack.PlatformSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * One local platform for the whole e2e run, on free loopback ports and a fresh data folder, started on
 * first use: the same launcher a user runs, so the tests see what a user sees. Beside the bundled model it
 * serves {@code tiny-pattern}, whose every output carries the pattern the image classifier flags, on the
 * route {@value #PATTERN_ROUTE}.
 */
final class RunningPlatform {

    static final String API_KEY = "flx_e2etests_end-to-end-secret";
    static final String ADMIN_KEY = "flx_admin_e2e-admin-secret";
    static final String PATTERN_ROUTE = "flux-2-pattern-test";
    static final Path MODEL_TOOLS = Path.of("..", "model-tools");
    /** Every tier of the local platform runs the bundled model at the steps its package recommends. */
    static final int MODEL_STEPS = ModelDefaults.of(
            MODEL_TOOLS.resolve("packages").resolve(PlatformSettings.MODEL_NAME)).steps();

    /** A JPEG whose sha256 safety-service's hash blocklist names, as an operator lists a known file. */
    static final byte[] BLOCKED_REFERENCE = blockedReference();

    private static LocalPlatform platform;

    private RunningPlatform() {
    }

    static synchronized PlatformSettings get() {
        return platform().settings();
    }

    static synchronized LocalPlatform platform() {
        if (platform == null) {
            Path data = tempDir("flux2-e2e-");
            Path patternPackage = makePatternPackage(data.resolve("tiny-pattern"));
            platform = LocalPlatform.start(new PlatformSettings(PlatformPorts.free(), data,
                    MODEL_TOOLS.resolve("packages").resolve(PlatformSettings.MODEL_NAME), API_KEY, ADMIN_KEY, 1,
                    Map.of("inference-service", Map.of("flux.inference.packages.tiny-pattern",
                                    patternPackage.toAbsolutePath().toString()),
                            "gateway-service", patternTier(),
                            "safety-service", Map.of("flux.safety.image.blocked-sha256[0]",
                                    sha256(BLOCKED_REFERENCE)))));
            Runtime.getRuntime().addShutdownHook(new Thread(platform::close));
        }
        return platform;
    }

    private static byte[] blockedReference() {
        java.awt.image.BufferedImage image = new java.awt.image.BufferedImage(96, 80,
                java.awt.image.BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 80; y++) {
            for (int x = 0; x < 96; x++) {
                image.setRGB(x, y, (x * 2) << 16 | (y * 3) << 8 | 200);
            }
        }
        try {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            javax.imageio.ImageIO.write(image, "jpeg", out);
            return out.toByteArray();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static String sha256(byte[] bytes) {
        try {
            return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private static Map<String, Object> patternTier() {
        String tier = "flux.gateway.tiers.pattern.";
        Map<String, Object> p = new HashMap<>();
        p.put(tier + "route", PATTERN_ROUTE);
        p.put(tier + "model", "tiny-pattern");
        p.put(tier + "priority", 30);
        p.put(tier + "steps.adjustable", false);
        p.put(tier + "steps.default", 2);
        p.put(tier + "guidance.adjustable", false);
        p.put(tier + "guidance.default", 1.0);
        p.put(tier + "max-megapixels", 1.0);
        p.put(tier + "min-side", 64);
        p.put(tier + "max-side", 1024);
        p.put(tier + "max-prompt-length", 1000);
        p.put(tier + "max-references", 1);
        p.put(tier + "price.first-megapixel", 1.0);
        p.put(tier + "price.extra-megapixel", 1.0);
        return p;
    }

    /** Built with model-tools from the bundled package, as its README says. */
    private static Path makePatternPackage(Path out) {
        try {
            Process process = new ProcessBuilder("/usr/bin/python3", "-m", "flux2_tools.pattern_package",
                    "--source", "packages/tiny", "--out", out.toAbsolutePath().toString())
                    .directory(MODEL_TOOLS.toFile())
                    .redirectErrorStream(true)
                    .start();
            String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (process.waitFor() != 0) {
                throw new IllegalStateException("Building the pattern package failed:\n" + output);
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static Path tempDir(String prefix) {
        try {
            return Files.createTempDirectory(prefix);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
