package io.flux2.localstack;

import io.flux2.assets.AssetApplication;
import io.flux2.gateway.GatewayApplication;
import io.flux2.inference.InferenceApplication;
import io.flux2.infra.LocalPostgres;
import io.flux2.infra.LocalS3;
import io.flux2.jobs.JobServiceApplication;
import io.flux2.safety.SafetyApplication;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.context.ConfigurableApplicationContext;

/**
 * The whole platform in one JVM: a real PostgreSQL, a real S3 server on a folder and the five services,
 * each in its own Spring context on its own port, talking to each other over HTTP as they do in a cluster.
 */
public final class LocalPlatform implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LocalPlatform.class);

    private final PlatformSettings settings;
    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private LocalPostgres postgres;
    private String internalToken;

    private LocalPlatform(PlatformSettings settings) {
        this.settings = settings;
    }

    public static LocalPlatform start(PlatformSettings settings) {
        LocalPlatform platform = new LocalPlatform(settings);
        try {
            platform.startAll();
            return platform;
        } catch (RuntimeException e) {
            platform.close();
            throw e;
        }
    }

    private void startAll() {
        PlatformPorts ports = settings.ports();
        postgres = LocalPostgres.start(ports.postgres(), settings.dataDir().resolve("postgres"));
        running.push(postgres);
        LocalS3 s3 = LocalS3.start(ports.s3(), settings.dataDir().resolve("s3"), "local-access-key",
                "local-secret-key-change-me");
        running.push(s3);
        ServiceSettings services = new ServiceSettings(settings, postgres, s3);
        internalToken = services.internalToken();
        startService(SafetyApplication.class, services.safety());
        startService(AssetApplication.class, services.assets());
        startService(JobServiceApplication.class, services.jobs());
        startService(GatewayApplication.class, services.gateway());
        startService(InferenceApplication.class, services.inference());
    }

    private void startService(Class<?> application, Map<String, Object> properties) {
        log.info("Starting {}", application.getSimpleName());
        // As command-line arguments, so they outrank the service's own configuration file.
        String[] arguments = properties.entrySet().stream()
                .map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(application)
                .registerShutdownHook(false)
                .run(arguments);
        running.push(context);
    }

    public PlatformSettings settings() {
        return settings;
    }

    /** The JDBC URL of the platform's database, for tools that look behind the API (benchmarks). */
    public String jdbcUrl() {
        return postgres.jdbcUrl();
    }

    /** The token the services accept on {@code /internal/**}, generated anew at every start. */
    public String internalToken() {
        return internalToken;
    }

    @Override
    public void close() {
        while (!running.isEmpty()) {
            try {
                running.pop().close();
            } catch (Exception e) {
                log.warn("Stopping a part of the local platform failed", e);
            }
        }
    }

    public static void main(String[] args) {
        LocalPlatform platform = start(PlatformSettings.local());
        Runtime.getRuntime().addShutdownHook(new Thread(platform::close, "local-platform-stop"));
        PlatformSettings settings = platform.settings();
        System.out.printf("""

                flux2-platform is running.
                  Gateway:  %s
                  API key:  %s
                  Admin key (tenants and keys, /admin): %s
                  Try:      curl -s -X POST %s/v1/flux-2-pro -H 'x-key: %s' \\
                              -H 'Content-Type: application/json' -d '{"prompt":"a red circle on a blue background"}'
                Stop with Ctrl-C. Jobs and images are kept in %s.
                %n""", settings.gatewayUrl(), settings.apiKey(), settings.adminKey(), settings.gatewayUrl(),
                settings.apiKey(),
                settings.dataDir().toAbsolutePath());
    }
}
