package io.flux2.localstack;

import io.flux2.infra.LocalPostgres;
import io.flux2.infra.LocalS3;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The properties that wire the five services of a local platform to each other and to the local
 * PostgreSQL and S3 server. Everything else comes from each service's own configuration file.
 */
final class ServiceSettings {

    private final PlatformSettings platform;
    private final LocalPostgres postgres;
    private final LocalS3 s3;
    private static final String LOOPBACK = "127.0.0.1";

    private final String internalToken = randomToken();

    ServiceSettings(PlatformSettings platform, LocalPostgres postgres, LocalS3 s3) {
        this.platform = platform;
        this.postgres = postgres;
        this.s3 = s3;
    }

    /** The properties of one service, by its name. */
    Map<String, Object> forService(String service) {
        Map<String, Object> p = switch (service) {
            case SAFETY -> safety();
            case ASSETS -> assets();
            case JOBS -> jobs();
            case GATEWAY -> gateway();
            case INFERENCE -> inference();
            default -> throw new IllegalArgumentException("No service " + service);
        };
        p.putAll(platform.extra().getOrDefault(service, Map.of()));
        return p;
    }

    static final String SAFETY = "safety-service";
    static final String ASSETS = "asset-service";
    static final String JOBS = "job-service";
    static final String GATEWAY = "gateway-service";
    static final String INFERENCE = "inference-service";

    private Map<String, Object> safety() {
        Map<String, Object> p = withDatabase(base(platform.ports().safety()));
        p.put("flux.safety.image.classifier.package-dir", platform.safetyClassifierDir().toAbsolutePath().toString());
        p.put("flux.safety.image.classifier.required", true);
        return p;
    }

    private Map<String, Object> assets() {
        Map<String, Object> p = withDatabase(base(platform.ports().assets()));
        // Everything of a local platform listens on 127.0.0.1, so a user may point references at a local
        // server there; any other loopback spelling, private or metadata address stays refused.
        p.put("flux.assets.fetch.allowed-hosts", LOOPBACK);
        p.put("flux.assets.s3.endpoint", s3.endpoint());
        p.put("flux.assets.s3.access-key", s3.accessKey());
        p.put("flux.assets.s3.secret-key", s3.secretKey());
        return p;
    }

    private Map<String, Object> jobs() {
        Map<String, Object> p = withDatabase(base(platform.ports().jobs()));
        client(p, "safety-service", platform.ports().safety());
        client(p, "asset-service", platform.ports().assets());
        // As for references: webhooks may reach a receiver on 127.0.0.1 of this machine.
        p.put("flux.jobs.webhooks.allowlist", LOOPBACK);
        return p;
    }

    private Map<String, Object> gateway() {
        Map<String, Object> p = withDatabase(base(platform.ports().gateway()));
        p.put("flux.gateway.bootstrap-key", platform.apiKey());
        p.put("flux.gateway.admin.key", platform.adminKey());
        client(p, "job-service", platform.ports().jobs());
        client(p, "asset-service", platform.ports().assets());
        serveEveryTierWithTheLocalModel(p);
        return p;
    }

    /**
     * gateway-service.yaml names the checkpoints a GPU deployment serves and their steps (50 for pro, 4 for
     * klein); a local platform has one small package, so every tier runs it at the steps and guidance the
     * package recommends. Requests may still set steps and guidance where a tier allows it.
     */
    private void serveEveryTierWithTheLocalModel(Map<String, Object> p) {
        ModelDefaults defaults = ModelDefaults.of(platform.modelDir());
        for (String tier : GATEWAY_TIERS) {
            String prefix = "flux.gateway.tiers." + tier + ".";
            p.put(prefix + "model", PlatformSettings.MODEL_NAME);
            p.put(prefix + "steps.default", defaults.steps());
            if (defaults.usesGuidance()) {
                p.put(prefix + "guidance.default", defaults.guidance());
            }
        }
    }

    /** The tiers of gateway-service.yaml. */
    private static final List<String> GATEWAY_TIERS = List.of("pro", "flex", "dev", "klein");

    private Map<String, Object> inference() {
        Map<String, Object> p = base(platform.ports().inference());
        p.put("flux.inference.packages." + PlatformSettings.MODEL_NAME, platform.modelDir().toAbsolutePath().toString());
        p.put("flux.inference.worker.threads", Math.max(1, platform.workerCount()));
        p.put("flux.inference.worker.enabled", platform.workerCount() > 0);
        client(p, "job-service", platform.ports().jobs());
        client(p, "asset-service", platform.ports().assets());
        return p;
    }

    String internalToken() {
        return internalToken;
    }

    private Map<String, Object> base(int port) {
        Map<String, Object> p = new HashMap<>();
        p.put("server.port", port);
        p.put("server.address", "127.0.0.1");
        p.put("flux.internal.token", internalToken);
        // One JVM has one logging setup, made by the first service: its name would label every line.
        p.put("logging.include-application-name", false);
        return p;
    }

    private Map<String, Object> withDatabase(Map<String, Object> p) {
        p.put("spring.r2dbc.url", postgres.r2dbcUrl());
        p.put("spring.r2dbc.username", LocalPostgres.USER);
        p.put("spring.r2dbc.password", "");
        p.put("spring.flyway.url", postgres.jdbcUrl());
        p.put("spring.flyway.user", LocalPostgres.USER);
        p.put("spring.flyway.password", "");
        return p;
    }

    private static void client(Map<String, Object> p, String service, int port) {
        p.put("flux.clients.services." + service + ".base-url", "http://127.0.0.1:" + port);
    }

    private static String randomToken() {
        byte[] bytes = new byte[24];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }
}
