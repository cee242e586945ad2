package io.flux2.inference.model;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.translate.NoopTranslator;
import java.nio.file.Path;

/**
 * A loaded model package: its manifest, tokenizer and the four TorchScript graphs on one device. Shared by
 * all worker threads; each thread takes its own {@link Predictors} through {@link #newPredictors()}.
 */
public final class ModelPackage implements AutoCloseable {

    private final Path folder;
    private final ModelManifest manifest;
    private final Device device;
    private final HuggingFaceTokenizer tokenizer;
    private final Model textEncoder;
    private final Model transformer;
    private final Model vaeEncoder;
    private final Model vaeDecoder;

    ModelPackage(Path folder, ModelManifest manifest, Device device, HuggingFaceTokenizer tokenizer,
            Model textEncoder, Model transformer, Model vaeEncoder, Model vaeDecoder) {
        this.folder = folder;
        this.manifest = manifest;
        this.device = device;
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.transformer = transformer;
        this.vaeEncoder = vaeEncoder;
        this.vaeDecoder = vaeDecoder;
    }

    public String name() {
        return manifest.name();
    }

    public Path folder() {
        return folder;
    }

    public ModelManifest manifest() {
        return manifest;
    }

    public Device device() {
        return device;
    }

    public HuggingFaceTokenizer tokenizer() {
        return tokenizer;
    }

    /** A manager on the package's device for one generation's tensors; close it when done. */
    public NDManager newManager() {
        return transformer.getNDManager().newSubManager(device);
    }

    /** One set of predictors for one thread: DJL predictors are not meant to be shared between threads. */
    public Predictors newPredictors() {
        return new Predictors(
                textEncoder.newPredictor(new NoopTranslator()),
                transformer.newPredictor(new NoopTranslator()),
                vaeEncoder.newPredictor(new NoopTranslator()),
                vaeDecoder.newPredictor(new NoopTranslator()));
    }

    @Override
    public void close() {
        textEncoder.close();
        transformer.close();
        vaeEncoder.close();
        vaeDecoder.close();
        tokenizer.close();
    }

    /**
     * The graphs of one package for one thread. Inputs and outputs are NDLists of float32 / int64 tensors in
     * the order of docs/model-package.md. An output lives in the manager of the first input.
     */
    public record Predictors(
            Predictor<NDList, NDList> textEncoder,
            Predictor<NDList, NDList> transformer,
            Predictor<NDList, NDList> vaeEncoder,
            Predictor<NDList, NDList> vaeDecoder) implements AutoCloseable {

        @Override
        public void close() {
            textEncoder.close();
            transformer.close();
            vaeEncoder.close();
            vaeDecoder.close();
        }
    }
}
