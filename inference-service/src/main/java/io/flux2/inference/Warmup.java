package io.flux2.inference;

import io.flux2.inference.model.ModelPackage;
import io.flux2.inference.model.ModelManifest;
import io.flux2.inference.pipeline.Flux2Pipeline;
import io.flux2.inference.pipeline.GenerationRequest;
import io.flux2.inference.pipeline.PipelineFactory;
import io.flux2.inference.pipeline.StepListener;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Generates once per package and size before the service takes work. TorchScript profiles and fuses a graph
 * per input shape on its first calls (hundreds of ms to seconds on a GPU, research/gpu.md), and the first
 * user at a size should not pay for it. The compiled state lives in the shared modules, so warming through
 * a throw-away pipeline warms every worker's predictors.
 */
final class Warmup {

    private static final Logger log = LoggerFactory.getLogger(Warmup.class);
    private static final String PROMPT = "a red circle on a white background";

    private final PipelineFactory pipelines;
    private final InferenceProperties.Warmup settings;

    Warmup(PipelineFactory pipelines, InferenceProperties.Warmup settings) {
        this.pipelines = pipelines;
        this.settings = settings;
    }

    void run(ModelPackage modelPackage) {
        ModelManifest.Defaults defaults = modelPackage.manifest().defaults();
        try (Flux2Pipeline pipeline = pipelines.create(modelPackage)) {
            for (int[] size : sizes(defaults)) {
                long start = System.nanoTime();
                pipeline.generate(new GenerationRequest(PROMPT, size[0], size[1], settings.steps(),
                        defaults.guidance(), 0L), StepListener.NONE);
                log.info("Warmed up '{}' at {}x{} ({} steps) in {} ms", modelPackage.name(), size[0], size[1],
                        settings.steps(), (System.nanoTime() - start) / 1_000_000);
            }
        }
    }

    private List<int[]> sizes(ModelManifest.Defaults defaults) {
        Set<String> names = new LinkedHashSet<>();
        names.add(defaults.width() + "x" + defaults.height());
        names.addAll(settings.sizes());
        List<int[]> sizes = new ArrayList<>();
        for (String name : names) {
            String[] parts = name.toLowerCase(Locale.ROOT).split("x");
            if (parts.length != 2) {
                throw new IllegalArgumentException("Warm-up size '" + name + "' is not WIDTHxHEIGHT");
            }
            sizes.add(new int[] {Integer.parseInt(parts[0].strip()), Integer.parseInt(parts[1].strip())});
        }
        return sizes;
    }
}
