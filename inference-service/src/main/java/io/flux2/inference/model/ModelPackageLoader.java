package io.flux2.inference.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads a model package folder fully offline: manifest, checksums, tokenizer and the four graphs. Nothing
 * here reaches the network; DJL's offline mode ({@code DJL_OFFLINE=true}) makes any attempt fail at once.
 */
public final class ModelPackageLoader {

    private static final Logger log = LoggerFactory.getLogger(ModelPackageLoader.class);
    private static final String ENGINE = "PyTorch";

    private final boolean verifyChecksums;

    public ModelPackageLoader(boolean verifyChecksums) {
        this.verifyChecksums = verifyChecksums;
    }

    public ModelPackage load(Path folder, Device device) {
        Path dir = folder.toAbsolutePath().normalize();
        if (!Files.isDirectory(dir)) {
            throw new ModelPackageException("Model package folder " + dir + " does not exist");
        }
        long start = System.nanoTime();
        ModelManifest manifest = ManifestReader.read(dir);
        if (verifyChecksums) {
            ChecksumVerifier.verify(dir, PackageFiles.CHECKED);
        }
        HuggingFaceTokenizer tokenizer = loadTokenizer(dir, manifest);
        List<AutoCloseable> loaded = new ArrayList<>();
        loaded.add(tokenizer);
        try {
            Model textEncoder = loadGraph(dir, PackageFiles.TEXT_ENCODER, manifest, device, loaded);
            Model transformer = loadGraph(dir, PackageFiles.TRANSFORMER, manifest, device, loaded);
            Model vaeEncoder = loadGraph(dir, PackageFiles.VAE_ENCODER, manifest, device, loaded);
            Model vaeDecoder = loadGraph(dir, PackageFiles.VAE_DECODER, manifest, device, loaded);
            log.info("Loaded model package '{}' ({}) from {} on {} in {} ms", manifest.name(), manifest.variant(),
                    dir, device, (System.nanoTime() - start) / 1_000_000);
            return new ModelPackage(dir, manifest, device, tokenizer, textEncoder, transformer, vaeEncoder,
                    vaeDecoder);
        } catch (RuntimeException e) {
            closeAll(loaded);
            throw e;
        }
    }

    private static HuggingFaceTokenizer loadTokenizer(Path dir, ModelManifest manifest) {
        // No padding here: PromptEncoder pads to max_length itself, on the manifest's padding_side with its
        // pad_token_id (DJL's tokenizer only pads on the right, and ignores the file's own padding section).
        // Truncation stays on, at max_length from the right, as in the reference pipeline.
        ModelManifest.TextEncoder text = manifest.textEncoder();
        try {
            return HuggingFaceTokenizer.builder()
                    .optTokenizerPath(dir.resolve(PackageFiles.TOKENIZER))
                    .optPadding(false)
                    .optTruncation(true)
                    .optMaxLength(text.maxLength())
                    .optAddSpecialTokens(text.addSpecialTokens())
                    .build();
        } catch (IOException | RuntimeException e) {
            throw new ModelPackageException("Cannot load " + dir.resolve(PackageFiles.TOKENIZER) + ": "
                    + e.getMessage(), e);
        }
    }

    private static Model loadGraph(Path dir, String file, ModelManifest manifest, Device device,
            List<AutoCloseable> loaded) {
        String graph = file.substring(0, file.length() - ".pt".length());
        Model model = Model.newInstance(manifest.name() + "-" + graph, device, ENGINE);
        loaded.add(model);
        try {
            // mapLocation puts the weights straight onto the configured device instead of where they were saved.
            model.load(dir.resolve(file), graph, Map.of("mapLocation", "true"));
            return model;
        } catch (IOException | MalformedModelException | RuntimeException e) {
            throw new ModelPackageException("Cannot load graph " + dir.resolve(file) + " on " + device + ": "
                    + e.getMessage(), e);
        }
    }

    private static void closeAll(List<AutoCloseable> resources) {
        for (AutoCloseable resource : resources) {
            try {
                resource.close();
            } catch (Exception suppressed) {
                log.debug("Closing after a failed load", suppressed);
            }
        }
    }
}
