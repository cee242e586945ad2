package io.flux2.e2e;

import io.flux2.localstack.LocalPlatform;
import io.flux2.localstack.PlatformPorts;
import io.flux2.localstack.PlatformSettings;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One local platform for the whole e2e run, on free loopback ports and a fresh data folder, started on
 * first use: the same launcher a user runs, so the tests see what a user sees.
 */
final class RunningPlatform {

    static final String API_KEY = "flx_e2etests_end-to-end-secret";
    static final String ADMIN_KEY = "flx_admin_e2e-admin-secret";

    private static LocalPlatform platform;

    private RunningPlatform() {
    }

    static synchronized PlatformSettings get() {
        if (platform == null) {
            platform = LocalPlatform.start(new PlatformSettings(PlatformPorts.free(), tempDir(),
                    Path.of("..", "model-tools", "packages", PlatformSettings.MODEL_NAME), API_KEY, ADMIN_KEY, 1));
            Runtime.getRuntime().addShutdownHook(new Thread(platform::close));
        }
        return platform.settings();
    }

    private static Path tempDir() {
        try {
            return Files.createTempDirectory("flux2-e2e-");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
