package io.flux2.infra;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.springframework.test.context.DynamicPropertyRegistry;

/**
 * One PostgreSQL and one S3 server per test JVM, started on first use and stopped when the JVM exits, so
 * every Spring test context of a module shares them instead of paying the start-up again.
 */
public final class SharedTestInfra {

    public static final String S3_ACCESS_KEY = "test-access-key";
    public static final String S3_SECRET_KEY = "test-secret-key-0123456789";

    private static LocalPostgres postgres;
    private static LocalS3 s3;

    private SharedTestInfra() {
    }

    public static synchronized LocalPostgres postgres() {
        if (postgres == null) {
            postgres = LocalPostgres.start(0, tempDir("pg"));
            Runtime.getRuntime().addShutdownHook(new Thread(postgres::close));
        }
        return postgres;
    }

    public static synchronized LocalS3 s3() {
        if (s3 == null) {
            s3 = LocalS3.start(0, tempDir("s3"), S3_ACCESS_KEY, S3_SECRET_KEY);
            Runtime.getRuntime().addShutdownHook(new Thread(s3::close));
        }
        return s3;
    }

    /** Points Spring's R2DBC and Flyway settings at the shared PostgreSQL. */
    public static void registerPostgres(DynamicPropertyRegistry registry) {
        LocalPostgres pg = postgres();
        registry.add("spring.r2dbc.url", pg::r2dbcUrl);
        registry.add("spring.r2dbc.username", () -> LocalPostgres.USER);
        registry.add("spring.r2dbc.password", () -> "");
        registry.add("spring.flyway.url", pg::jdbcUrl);
        registry.add("spring.flyway.user", () -> LocalPostgres.USER);
        registry.add("spring.flyway.password", () -> "");
    }

    private static Path tempDir(String prefix) {
        try {
            Path dir = Files.createTempDirectory("flux2-" + prefix + "-");
            dir.toFile().deleteOnExit();
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
