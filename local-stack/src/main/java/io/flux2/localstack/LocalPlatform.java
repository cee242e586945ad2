package io.flux2.localstack;

import io.flux2.assets.AssetApplication;
import io.flux2.gateway.GatewayApplication;
import io.flux2.inference.InferenceApplication;
import io.flux2.infra.LocalPostgres;
import io.flux2.infra.LocalS3;
import io.flux2.jobs.JobServiceApplication;
import io.flux2.safety.SafetyApplication;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
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
    private static final String S3_ACCESS_KEY = "local-access-key";
    private static final String S3_SECRET_KEY = "local-secret-key-change-me";

    /** Started in this order, stopped in the reverse one. */
    private static final Map<String, Class<?>> APPLICATIONS = orderedApplications();

    private final Deque<AutoCloseable> running = new ArrayDeque<>();
    private final Map<String, ConfigurableApplicationContext> contexts = new LinkedHashMap<>();
    private ServiceSettings services;
    private LocalPostgres postgres;
    private LocalS3 s3;
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
        s3 = startObjectStore(ports);
        services = new ServiceSettings(settings, postgres, s3);
        internalToken = services.internalToken();
        for (String service : APPLICATIONS.keySet()) {
            startService(service);
        }
    }

    /** Starts a service that is not running, on its port and with its settings, as at platform start. */
    public synchronized void startService(String service) {
        if (contexts.containsKey(service)) {
            throw new IllegalStateException(service + " is running");
        }
        Class<?> application = APPLICATIONS.get(service);
        Map<String, Object> properties = services.forService(service);
        log.info("Starting {}", service);
        // As command-line arguments, so they outrank the service's own configuration file.
        String[] arguments = properties.entrySet().stream()
                .map(e -> "--" + e.getKey() + "=" + e.getValue())
                .toArray(String[]::new);
        ConfigurableApplicationContext context = new SpringApplicationBuilder(application)
                .registerShutdownHook(false)
                .run(arguments);
        contexts.put(service, context);
    }

    private LocalS3 startObjectStore(PlatformPorts ports) {
        return LocalS3.start(ports.s3(), settings.dataDir().resolve("s3"), S3_ACCESS_KEY, S3_SECRET_KEY);
    }

    /** Stops the S3 server, as an outage of the store would; its objects stay in the data folder. */
    public synchronized void stopObjectStore() {
        if (s3 != null) {
            s3.close();
            s3 = null;
        }
    }

    /** Starts the S3 server again on the same port and folder. */
    public synchronized void startObjectStore() {
        if (s3 == null) {
            s3 = startObjectStore(settings.ports());
        }
    }

    /** Stops one service, as a crashed or redeployed pod would be; the others keep running. */
    public synchronized void stopService(String service) {
        ConfigurableApplicationContext context = contexts.remove(service);
        if (context == null) {
            throw new IllegalStateException(service + " is not running");
        }
        context.close();
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

    private static Map<String, Class<?>> orderedApplications() {
        Map<String, Class<?>> applications = new LinkedHashMap<>();
        applications.put(ServiceSettings.SAFETY, SafetyApplication.class);
        applications.put(ServiceSettings.ASSETS, AssetApplication.class);
        applications.put(ServiceSettings.JOBS, JobServiceApplication.class);
        applications.put(ServiceSettings.GATEWAY, GatewayApplication.class);
        applications.put(ServiceSettings.INFERENCE, InferenceApplication.class);
        return applications;
    }

    @Override
    public synchronized void close() {
        List<String> started = new ArrayList<>(contexts.keySet());
        Collections.reverse(started);
        for (String service : started) {
            try {
                stopService(service);
            } catch (RuntimeException e) {
                log.warn("Stopping {} failed", service, e);
            }
        }
        stopObjectStore();
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
