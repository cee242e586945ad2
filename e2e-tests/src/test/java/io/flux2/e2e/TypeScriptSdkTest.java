package io.flux2.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The TypeScript SDK generated from api/openapi.yaml (typescript-fetch, by the api module's build) runs under
 * Node against the local platform: src/test/node/sdk-smoke.ts submits through /v2/jobs, polls the job to its
 * end and downloads the image. Needs node (20 or later) and npm on the PATH, and the npm registry (or npm's
 * cache) for typescript and @types/node as pinned in package-lock.json.
 */
class TypeScriptSdkTest {

    private static final Path SOURCES = Path.of("src", "test", "node");
    private static final Path GENERATED_SDK = Path.of("..", "api", "target", "generated-sdks", "typescript", "src");
    private static final Path WORK = Path.of("target", "ts-sdk-smoke");

    @Test
    void theGeneratedTypeScriptSdkDrivesTheLocalPlatform() throws Exception {
        String nodeVersion = run(List.of("node", "--version"), Path.of("."), Map.of(), 30,
                "node is not on the PATH: the TypeScript SDK test needs Node.js 20 or later and npm").trim();
        assertThat(Integer.parseInt(nodeVersion.replaceFirst("^v(\\d+).*", "$1")))
                .as("Node.js %s is too old: the TypeScript SDK test needs 20 or later", nodeVersion)
                .isGreaterThanOrEqualTo(20);
        run(List.of("npm", "--version"), Path.of("."), Map.of(), 30,
                "npm is not on the PATH: the TypeScript SDK test needs npm to install typescript");
        assertThat(GENERATED_SDK.resolve("index.ts"))
                .as("the generated TypeScript SDK; build the api module first (./mvnw -pl api install)").exists();

        prepareWorkDir();
        run(List.of("npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"), WORK, Map.of(), 300,
                "npm ci failed (the npm registry or npm's cache must provide typescript and @types/node)");
        run(List.of("node", "node_modules/typescript/bin/tsc", "-p", "."), WORK, Map.of(), 180,
                "the generated TypeScript SDK or sdk-smoke.ts does not compile");
        String output = run(List.of("node", "dist/sdk-smoke.js"), WORK,
                Map.of("FLUX2_GATEWAY_URL", RunningPlatform.get().gatewayUrl(), "FLUX2_API_KEY", RunningPlatform.API_KEY),
                180, "sdk-smoke.ts failed against the local platform");
        assertThat(output).contains("TypeScript SDK smoke test passed");
    }

    private static void prepareWorkDir() throws IOException {
        Files.createDirectories(WORK);
        for (String file : List.of("package.json", "package-lock.json", "tsconfig.json", "sdk-smoke.ts")) {
            Files.copy(SOURCES.resolve(file), WORK.resolve(file), StandardCopyOption.REPLACE_EXISTING);
        }
        Path sdk = WORK.resolve("sdk");
        delete(sdk);
        delete(WORK.resolve("dist"));
        try (Stream<Path> files = Files.walk(GENERATED_SDK)) {
            for (Path source : files.toList()) {
                Path target = sdk.resolve(GENERATED_SDK.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.REPLACE_EXISTING);
                }
            }
        }
    }

    private static void delete(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }

    /** Runs a command to its end; fails with {@code failure} and the command's output unless it exits 0. */
    private static String run(List<String> command, Path dir, Map<String, String> env, int timeoutSeconds,
            String failure) throws InterruptedException {
        ProcessBuilder builder = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true);
        builder.environment().putAll(env);
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            throw new AssertionError(failure + " (" + e.getMessage() + ")", e);
        }
        String[] output = new String[1];
        Thread reader = new Thread(() -> {
            try {
                output[0] = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
        reader.start();
        if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            reader.join(5000);
            throw new AssertionError(failure + ": " + String.join(" ", command) + " ran over " + timeoutSeconds
                    + " s\n" + output[0]);
        }
        reader.join();
        assertThat(process.exitValue()).as("%s: %s exited %d\n%s", failure, String.join(" ", command),
                process.exitValue(), output[0]).isZero();
        return output[0];
    }
}
