package io.flux2.localstack;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The steps and guidance a model package recommends ({@code defaults} of its model.json). Guidance matters for
 * the variants that use it: dev embeds it, klein-base runs true CFG with it; klein ignores it.
 */
public record ModelDefaults(int steps, double guidance, boolean usesGuidance) {

    public static ModelDefaults of(Path packageDir) {
        Path manifest = packageDir.resolve("model.json");
        try {
            JsonNode json = JsonMapper.builder().build().readTree(Files.readString(manifest));
            JsonNode defaults = json.required("defaults");
            String variant = json.required("variant").asString();
            return new ModelDefaults(defaults.required("steps").asInt(), defaults.required("guidance").asDouble(),
                    !variant.equals("klein"));
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot read the model package's manifest " + manifest, e);
        }
    }
}
