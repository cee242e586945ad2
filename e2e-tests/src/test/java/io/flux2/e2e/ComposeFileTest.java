package io.flux2.e2e;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.io.Reader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.yaml.snakeyaml.Yaml;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** docker-compose.yml runs what the local platform runs: the demo model as it was made, every check on. */
class ComposeFileTest {

    private static final Path PACKAGES = Path.of("..", "model-tools", "packages");

    private static Map<String, Object> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void parse() throws IOException {
        try (Reader reader = Files.newBufferedReader(Path.of("..", "docker-compose.yml"))) {
            services = (Map<String, Object>) new Yaml().<Map<String, Object>>load(reader).get("services");
        }
    }

    /** Its model.json's steps and guidance: other values draw worse pictures from the same weights. */
    @Test
    void everyTierRunsTheDemoModelAtItsOwnDefaults() throws IOException {
        JsonNode defaults = JsonMapper.shared().readTree(Files.readString(PACKAGES.resolve("demo/model.json"))).path("defaults");
        Map<String, String> env = env("gateway-service");
        for (String tier : List.of("PRO", "FLEX", "DEV", "KLEIN")) {
            String prefix = "FLUX_GATEWAY_TIERS_" + tier + "_";
            assertThat(env).as(tier).containsEntry(prefix + "MODEL", "demo");
            assertThat(Integer.parseInt(env.get(prefix + "STEPS_DEFAULT"))).as(tier)
                    .isEqualTo(defaults.path("steps").asInt());
            assertThat(Double.parseDouble(env.get(prefix + "GUIDANCE_DEFAULT"))).as(tier)
                    .isEqualTo(defaults.path("guidance").asDouble());
        }
    }

    @Test
    void theAdminApiHasNoKeyUnlessTheOperatorGivesOne() {
        assertThat(env("gateway-service").get("FLUX_GATEWAY_ADMIN_KEY")).isEqualTo("${FLUX_ADMIN_KEY:-}");
    }

    @Test
    void theGatewayPublishesOnlyItsApiPort() {
        assertThat(env("gateway-service")).containsEntry("MANAGEMENT_SERVER_PORT", "9080");
        assertThat(service("gateway-service").get("ports")).isEqualTo(List.of("8080:8080"));
    }

    /** The bundled classifier package is mounted where the service is told to find it, and it is required. */
    @Test
    void safetyServiceRequiresItsImageClassifier() {
        Map<String, String> env = env("safety-service");
        assertThat(env).containsEntry("FLUX_SAFETY_IMAGE_CLASSIFIER_REQUIRED", "true");
        String volume = String.valueOf(((List<?>) service("safety-service").get("volumes")).get(0));
        assertThat(volume).isEqualTo("./model-tools/packages:/models:ro");
        String packageDir = env.get("FLUX_SAFETY_CLASSIFIER_PACKAGE");
        assertThat(packageDir).startsWith("/models/");
        assertThat(PACKAGES.resolve(packageDir.substring("/models/".length())).resolve("model.json")).exists();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> service(String name) {
        return (Map<String, Object>) services.get(name);
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> env(String name) {
        Map<String, String> env = new java.util.HashMap<>();
        ((Map<String, Object>) service(name).get("environment")).forEach((k, v) -> env.put(k, String.valueOf(v)));
        return env;
    }
}
