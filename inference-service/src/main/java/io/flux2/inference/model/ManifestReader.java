package io.flux2.inference.model;

import java.nio.file.Files;
import java.nio.file.Path;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.PropertyNamingStrategies;
import tools.jackson.databind.json.JsonMapper;

/** Reads and sanity-checks {@code model.json}. */
public final class ManifestReader {

    /** Pixels per latent token side; the whole pipeline (ids, packing, limits) assumes it. */
    static final int PIXELS_PER_TOKEN = 16;
    /** Latent token width: 32 VAE channels x 2x2 patch. */
    static final int TOKEN_CHANNELS = 128;

    private static final JsonMapper JSON = JsonMapper.builder()
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private ManifestReader() {
    }

    public static ModelManifest read(Path folder) {
        Path file = folder.resolve(PackageFiles.MANIFEST);
        if (!Files.isRegularFile(file)) {
            throw new ModelPackageException("Model package " + folder + " has no " + PackageFiles.MANIFEST);
        }
        ModelManifest manifest;
        try {
            manifest = JSON.readValue(file.toFile(), ModelManifest.class);
        } catch (JacksonException e) {
            throw new ModelPackageException("Cannot read " + file + ": " + e.getOriginalMessage(), e);
        }
        check(folder, manifest);
        return manifest;
    }

    private static void check(Path folder, ModelManifest manifest) {
        String where = "Model package " + folder + ": ";
        if (manifest.format() != ModelManifest.SUPPORTED_FORMAT) {
            throw new ModelPackageException(where + "format " + manifest.format() + " is not supported (this "
                    + "service reads format " + ModelManifest.SUPPORTED_FORMAT + ")");
        }
        if (manifest.name() == null || manifest.transformer() == null || manifest.textEncoder() == null
                || manifest.vae() == null || manifest.defaults() == null) {
            throw new ModelPackageException(where + PackageFiles.MANIFEST
                    + " needs name, transformer, text_encoder, vae and defaults");
        }
        manifest.variantKind();
        if (manifest.vae().pixelsPerToken() != PIXELS_PER_TOKEN) {
            throw new ModelPackageException(where + "vae.downscale * vae.patch must be " + PIXELS_PER_TOKEN);
        }
        if (manifest.transformer().inChannels() != TOKEN_CHANNELS) {
            throw new ModelPackageException(where + "transformer.in_channels must be " + TOKEN_CHANNELS);
        }
        if (manifest.textEncoder().maxLength() < 1) {
            throw new ModelPackageException(where + "text_encoder.max_length must be positive");
        }
        String side = manifest.textEncoder().paddingSide();
        if (!ModelManifest.TextEncoder.LEFT.equals(side) && !ModelManifest.TextEncoder.RIGHT.equals(side)) {
            throw new ModelPackageException(where + "text_encoder.padding_side must be left or right, was '" + side
                    + "'");
        }
        if (manifest.textEncoder().padTokenId() < 0) {
            throw new ModelPackageException(where + "text_encoder.pad_token_id must not be negative");
        }
        String template = manifest.textEncoder().promptTemplate();
        if (template == null || !template.contains("{prompt}")) {
            throw new ModelPackageException(where + "text_encoder.prompt_template must contain {prompt}");
        }
    }
}
