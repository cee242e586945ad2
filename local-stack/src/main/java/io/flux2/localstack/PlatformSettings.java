package io.flux2.localstack;

import java.nio.file.Path;
import java.util.Map;

/**
 * What a local platform needs to start.
 *
 * @param ports       where everything listens
 * @param dataDir     PostgreSQL's cluster and the S3 objects live here, so jobs survive a restart
 * @param modelDir    the model package every tier is served by, at the steps and guidance its model.json
 *                    recommends
 * @param apiKey      the bootstrap API key a user sends as {@code x-key}
 * @param adminKey    the key of the admin API (tenants and keys)
 * @param workerCount inference worker threads; 0 starts inference-service with its worker off
 * @param extra       further properties, by service name, that outrank the services' files (tests use them
 *                    for extra models and tiers)
 */
public record PlatformSettings(PlatformPorts ports, Path dataDir, Path modelDir, String apiKey, String adminKey,
        int workerCount, Map<String, Map<String, Object>> extra) {

    public PlatformSettings {
        extra = Map.copyOf(extra);
    }

    public PlatformSettings(PlatformPorts ports, Path dataDir, Path modelDir, String apiKey, String adminKey,
            int workerCount) {
        this(ports, dataDir, modelDir, apiKey, adminKey, workerCount, Map.of());
    }

    public static final String LOCAL_API_KEY = "flx_localdev_try-the-local-platform";
    public static final String LOCAL_ADMIN_KEY = "flx_admin_local-platform-admin";
    /** The demo model model-tools trains (flat shapes on plain backgrounds): it draws what a prompt asks. */
    public static final String MODEL_NAME = "demo";

    public static PlatformSettings local() {
        return new PlatformSettings(PlatformPorts.fixed(), Path.of(".local"),
                Path.of("model-tools", "packages", MODEL_NAME), LOCAL_API_KEY, LOCAL_ADMIN_KEY, 1);
    }

    /** The image classifier safety-service runs on references and outputs; it sits beside the model. */
    public Path safetyClassifierDir() {
        return modelDir.resolveSibling("safety-tiny");
    }

    public String gatewayUrl() {
        return "http://127.0.0.1:" + ports.gateway();
    }
}
