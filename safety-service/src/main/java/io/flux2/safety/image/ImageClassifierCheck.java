package io.flux2.safety.image;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.djl.translate.TranslateException;
import io.flux2.safety.SafetyProperties;
import io.flux2.safety.decisions.Sha256;
import io.flux2.safety.decisions.Verdict;
import jakarta.annotation.PreDestroy;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.annotation.Order;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The image classifier, as BFL runs {@code Falconsai/nsfw_image_detection}: the image resized to the
 * package's input size, rescaled to [0,1], normalised with its mean and std, run through the TorchScript
 * graph (DJL, PyTorch engine), softmax over the logits, flagged when the flag label's score exceeds the
 * threshold for the tolerance (0.85 at the default 2). The score is part of every decision.
 *
 * <p>The package ({@code model.json}, {@code model.pt}, {@code checksums.sha256}) is verified before it is
 * loaded. Without a configured package the check is off (a warning at startup), unless
 * {@code required} is set, in which case the service does not start.
 */
@Component
@Order(10)
public class ImageClassifierCheck implements ImageCheck {

    private static final Logger log = LoggerFactory.getLogger(ImageClassifierCheck.class);

    private final SafetyProperties.Classifier settings;
    private final long maxPixels;
    private final Model model;
    private final Predictor<NDList, NDList> predictor;
    private final int width;
    private final int height;
    private final float[] mean;
    private final float[] std;
    private final boolean logits;
    private final int flagIndex;
    private final String packageName;

    public ImageClassifierCheck(SafetyProperties properties, JsonMapper json) {
        this.settings = properties.image().classifier();
        this.maxPixels = properties.image().maxPixels();
        if (settings.packageDir() == null) {
            if (settings.required()) {
                throw new IllegalStateException("flux.safety.image.classifier.package-dir is required");
            }
            log.warn("No image classifier package configured (flux.safety.image.classifier.package-dir): "
                    + "images are checked against the hash blocklist only");
            model = null;
            predictor = null;
            width = height = flagIndex = 0;
            mean = std = null;
            logits = false;
            packageName = null;
            return;
        }
        Path dir = Path.of(settings.packageDir()).toAbsolutePath().normalize();
        try {
            verifyChecksums(dir);
            JsonNode manifest = json.readTree(Files.readString(dir.resolve("model.json")));
            if (!"image-classifier".equals(manifest.path("kind").asString())) {
                throw new IllegalStateException(dir + "/model.json is not an image-classifier package");
            }
            JsonNode input = manifest.path("input");
            width = input.path("width").asInt();
            height = input.path("height").asInt();
            mean = floats(input.path("mean"));
            std = floats(input.path("std"));
            logits = !"probabilities".equals(manifest.path("output").asString("logits"));
            List<String> labels = json.treeToValue(manifest.path("labels"), List.class);
            String flagLabel = manifest.path("flag_label").asString("nsfw");
            flagIndex = labels.indexOf(flagLabel);
            if (flagIndex < 0 || width < 1 || height < 1 || mean.length != 3 || std.length != 3) {
                throw new IllegalStateException(dir + "/model.json lacks labels, input size, mean or std");
            }
            packageName = manifest.path("name").asString(dir.getFileName().toString());
            model = Model.newInstance("safety-" + packageName, Device.fromName(settings.device()), "PyTorch");
            model.load(dir, "model", Map.of("mapLocation", "true"));
            predictor = model.newPredictor(new NoopTranslator());
            log.info("Image classifier {} loaded from {} ({}x{}, flag label {})", packageName, dir, width, height,
                    flagLabel);
        } catch (IOException | MalformedModelException e) {
            throw new IllegalStateException("Cannot load the image classifier from " + dir + ": " + e.getMessage(), e);
        }
    }

    public boolean enabled() {
        return predictor != null;
    }

    @Override
    public Verdict check(CheckedImage image, int tolerance) {
        if (!enabled()) {
            return Verdict.pass();
        }
        double score = score(ImageDecoding.decode(image.bytes(), image.format(), maxPixels));
        double threshold = settings.threshold(tolerance);
        Map<String, Double> scores = Map.of(settings.reason(), score);
        return score > threshold ? new Verdict(true, List.of(settings.reason()), scores)
                : new Verdict(false, List.of(), scores);
    }

    /** The flag label's probability for one image. */
    public double score(BufferedImage image) {
        BufferedImage resized = ImageDecoding.resize(image, width, height);
        int plane = width * height;
        float[] data = new float[3 * plane];
        int[] rgb = resized.getRGB(0, 0, width, height, null, 0, width);
        for (int i = 0; i < plane; i++) {
            int p = rgb[i];
            data[i] = (((p >> 16) & 0xFF) / 255f - mean[0]) / std[0];
            data[plane + i] = (((p >> 8) & 0xFF) / 255f - mean[1]) / std[1];
            data[2 * plane + i] = ((p & 0xFF) / 255f - mean[2]) / std[2];
        }
        float[] out;
        // One predictor, one call at a time: DJL predictors are not thread-safe.
        synchronized (predictor) {
            try (NDManager manager = model.getNDManager().newSubManager()) {
                NDArray x = manager.create(data, new Shape(1, 3, height, width));
                NDList result = predictor.predict(new NDList(x));
                out = result.singletonOrThrow().toFloatArray();
            } catch (TranslateException e) {
                throw new IllegalStateException("The image classifier failed: " + e.getMessage(), e);
            }
        }
        if (!logits) {
            return out[flagIndex];
        }
        double max = Double.NEGATIVE_INFINITY;
        for (float v : out) {
            max = Math.max(max, v);
        }
        double sum = 0;
        for (float v : out) {
            sum += Math.exp(v - max);
        }
        return Math.exp(out[flagIndex] - max) / sum;
    }

    private static float[] floats(JsonNode node) {
        float[] values = new float[node.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = (float) node.get(i).asDouble();
        }
        return values;
    }

    private static void verifyChecksums(Path dir) throws IOException {
        Map<String, String> sums = new HashMap<>();
        for (String line : Files.readAllLines(dir.resolve("checksums.sha256"))) {
            String[] parts = line.strip().split("\\s+", 2);
            if (parts.length == 2) {
                sums.put(parts[1].replaceFirst("^\\*", ""), parts[0]);
            }
        }
        for (String file : List.of("model.json", "model.pt")) {
            String expected = sums.get(file);
            if (expected == null || !expected.equalsIgnoreCase(Sha256.hex(Files.readAllBytes(dir.resolve(file))))) {
                throw new IllegalStateException("Checksum mismatch or missing for " + dir.resolve(file));
            }
        }
    }

    @PreDestroy
    void close() {
        if (predictor != null) {
            predictor.close();
        }
        if (model != null) {
            model.close();
        }
    }
}
