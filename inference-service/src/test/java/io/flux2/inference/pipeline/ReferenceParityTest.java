package io.flux2.inference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.flux2.inference.Npy;
import io.flux2.inference.TinyPackage;
import io.flux2.inference.model.ModelPackage;
import io.flux2.inference.model.ModelPackageLoader;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Java pipeline against model-tools' PyTorch reference ({@code flux2_tools.reference}) on the same package,
 * prompt and seed (the reference draws its noise with torch's CPU generator, the Java side with
 * {@link TorchCpuNoise}): for every variant, with 0, 1 and 3 references, at non-square sizes, the decoded float
 * images must agree to 1e-4. References are PNGs written here, read by PIL on the Python side and by ImageIO on
 * the Java side; their sizes need no resize (PIL's LANCZOS is compared separately), some need a centre crop.
 * All reference runs happen in one Python process (src/test/resources/parity/reference_cases.py).
 */
class ReferenceParityTest {

    private static final float TOLERANCE = 1e-4f;
    private static final GenerationLimits LIMITS = new GenerationLimits(64, 50, 2048L * 2048);
    private static final JsonMapper JSON = JsonMapper.builder().build();

    @TempDir
    static Path work;

    private static final Map<String, ModelPackage> PACKAGES = new LinkedHashMap<>();

    /** One comparison: a package, a request (null width/height: from the last reference), its references. */
    record Case(String name, String packageName, String prompt, Integer width, Integer height, int steps,
            double guidance, long seed, List<String> references) {
        @Override
        public String toString() {
            return name;
        }
    }

    /** Reference PNGs: 170x100 is centre-cropped to 160x96 (left 5, top 2); the others are used as they are. */
    private static final Map<String, int[]> REFERENCE_SIZES = Map.of(
            "square", new int[] {128, 128},
            "wide", new int[] {170, 100},
            "tall", new int[] {96, 160});

    static Stream<Case> cases() {
        List<Case> cases = new ArrayList<>();
        String[][] variants = {{"tiny", "dev"}, {"tiny-klein", "klein"}, {"tiny-klein-base", "klein-base"}};
        for (String[] variant : variants) {
            String pkg = variant[0];
            String kind = variant[1];
            int steps = kind.equals("klein-base") ? 2 : 4;
            double guidance = kind.equals("dev") ? 3.5 : kind.equals("klein") ? 1.0 : 4.0;
            long seed = 1000L + cases.size();
            cases.add(new Case(kind + ", no reference, 192x128", pkg, "a red circle above a blue square, photo",
                    192, 128, steps, guidance, seed, List.of()));
            boolean sizeFromReference = kind.equals("klein-base");
            cases.add(new Case(kind + ", 1 reference, " + (sizeFromReference ? "size of the reference (160x96)"
                    : "192x128"), pkg, "make the circle blue", sizeFromReference ? null : 192,
                    sizeFromReference ? null : 128, steps, guidance, seed + 1, List.of("wide")));
            boolean lastReferenceSize = kind.equals("klein");
            cases.add(new Case(kind + ", 3 references, " + (lastReferenceSize ? "size of the last (96x160)"
                    : "192x128"), pkg, "put the cat from image 2 on the sofa of image 1",
                    lastReferenceSize ? null : 192, lastReferenceSize ? null : 128, steps, guidance, seed + 2,
                    List.of("square", "wide", "tall")));
        }
        return cases.stream();
    }

    @BeforeAll
    static void runTheReference() throws Exception {
        for (Map.Entry<String, int[]> reference : REFERENCE_SIZES.entrySet()) {
            writePattern(png(reference.getKey()), reference.getValue()[0], reference.getValue()[1],
                    reference.getKey().hashCode());
        }
        List<Map<String, Object>> json = new ArrayList<>();
        for (Case c : cases().toList()) {
            Map<String, Object> entry = new LinkedHashMap<>();
            entry.put("package", TinyPackage.folder(c.packageName()).toString());
            entry.put("prompt", c.prompt());
            entry.put("width", c.width());
            entry.put("height", c.height());
            entry.put("steps", c.steps());
            entry.put("guidance", c.guidance());
            entry.put("seed", c.seed());
            entry.put("references", c.references().stream().map(r -> png(r).toString()).toList());
            entry.put("out", out(c).toString());
            json.add(entry);
        }
        // PIL's LANCZOS against LanczosResize: two references over the 1024^2 cap of a multi-reference request
        writePattern(png("big-a"), 1100, 1000, 7);
        writePattern(png("big-b"), 1030, 1100, 8);
        json.add(Map.of("preprocess_only", true, "references",
                List.of(png("big-a").toString(), png("big-b").toString()), "out", work.resolve("big").toString()));
        Path cases = work.resolve("cases.json");
        Files.writeString(cases, JSON.writeValueAsString(json));
        runPython(cases);
    }

    @AfterAll
    static void closePackages() {
        PACKAGES.forEach((name, pkg) -> {
            if (!name.equals("tiny")) {
                pkg.close();
            }
        });
        PACKAGES.clear();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("cases")
    void javaMatchesTheReference(Case c) throws Exception {
        List<ReferenceImage> references = new ArrayList<>();
        for (String name : c.references()) {
            references.add(ReferenceImage.of(ImageIO.read(png(name).toFile())));
        }
        GenerationRequest request = new GenerationRequest(c.prompt(), c.width(), c.height(), c.steps(), c.guidance(),
                c.seed(), references);
        DecodedImage java;
        try (Flux2Pipeline pipeline = new Flux2Pipeline(load(c.packageName()), new TorchCpuNoise(), LIMITS)) {
            java = pipeline.generate(request, StepListener.NONE);
        }
        Npy.Array reference = Npy.readFloat32(out(c));
        assertThat(reference.shape()).containsExactly(1, 3, java.height(), java.width());
        float diff = Flux2PipelineTest.maxAbsDiff(java.chw(), reference.data());
        System.out.printf("parity %s: %dx%d, max abs diff %.3g%n", c, java.width(), java.height(), diff);
        assertThat(diff).isLessThan(TOLERANCE);
        Flux2PipelineTest.assertNotConstantAndFinite(java);
    }

    @Test
    void resizedReferencesMatchPilLanczos() throws Exception {
        ReferenceImage a = ReferenceImage.of(ImageIO.read(png("big-a").toFile()));
        ReferenceImage b = ReferenceImage.of(ImageIO.read(png("big-b").toFile()));
        List<ReferenceImage> both = List.of(a, b);
        for (int k = 0; k < 2; k++) {
            ReferencePreprocessor.Prepared java = ReferencePreprocessor.prepare(both.get(k), k, 2,
                    ReferenceRules.FLUX2);
            Npy.Array pil = Npy.readFloat32(work.resolve("big_" + k + ".npy"));
            assertThat(pil.shape()).containsExactly(1, 3, java.height(), java.width());
            int differing = 0;
            float max = 0;
            for (int i = 0; i < pil.data().length; i++) {
                float d = Math.abs(pil.data()[i] - java.chw()[i]);
                if (d > 0) {
                    differing++;
                }
                max = Math.max(max, d);
            }
            System.out.printf("LANCZOS reference %d -> %dx%d: %d of %d values differ, max %.3g%n", k, java.width(),
                    java.height(), differing, pil.data().length, max);
            assertThat(differing).isZero();
        }
    }

    private static synchronized ModelPackage load(String name) {
        return PACKAGES.computeIfAbsent(name, n -> n.equals("tiny")
                ? TinyPackage.get()
                : new ModelPackageLoader(true).load(TinyPackage.folder(n), Device.cpu()));
    }

    private static Path png(String name) {
        return work.resolve(name + ".png");
    }

    private static Path out(Case c) {
        return work.resolve(c.name().replaceAll("[^A-Za-z0-9]+", "_") + ".npy");
    }

    /** Smooth gradients plus a little deterministic texture, so the VAE sees more than flat colour. */
    private static void writePattern(Path file, int width, int height, int salt) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < height; y++) {
            for (int x = 0; x < width; x++) {
                int texture = Math.floorMod((x * 73856093) ^ (y * 19349663) ^ salt, 41) - 20;
                int r = clamp(255 * x / width + texture);
                int g = clamp(255 * y / height - texture);
                int b = clamp(128 + (int) (100 * Math.sin((x + y + salt) / 9.0)));
                image.setRGB(x, y, r << 16 | g << 8 | b);
            }
        }
        try {
            ImageIO.write(image, "png", file.toFile());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static int clamp(int value) {
        return Math.max(0, Math.min(255, value));
    }

    private static void runPython(Path cases) throws IOException, InterruptedException {
        Path script = Path.of("src", "test", "resources", "parity", "reference_cases.py").toAbsolutePath();
        ProcessBuilder builder = new ProcessBuilder("/usr/bin/python3", script.toString(), cases.toString())
                .directory(TinyPackage.modelTools().toFile())
                .redirectErrorStream(true);
        builder.environment().put("PYTHONPATH", TinyPackage.modelTools().toString());
        long start = System.nanoTime();
        Process process = builder.start();
        boolean finished = process.waitFor(240, TimeUnit.SECONDS);
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            process.destroyForcibly();
        }
        System.out.printf("reference pipeline, %d ms:%n%s", (System.nanoTime() - start) / 1_000_000, output);
        assertThat(finished).as("reference finished in time").isTrue();
        assertThat(process.exitValue()).as("reference exit status; output:%n%s", output).isZero();
    }
}
