package io.flux2.inference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.flux2.inference.Npy;
import io.flux2.inference.TinyPackage;
import io.flux2.inference.model.ModelPackage;
import io.flux2.inference.model.ModelPackageLoader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Java pipeline against model-tools' PyTorch reference (flux2_tools.reference) on the same package, the
 * same prompt and the same noise: the decoded float images must agree to 1e-4.
 */
class ReferenceParityTest {

    private static final NoiseSource NOISE = new JavaRandomNoise();
    private static final GenerationLimits LIMITS = new GenerationLimits(64, 50, 4.0);
    private static final float TOLERANCE = 1e-4f;

    @TempDir
    Path work;

    @Test
    void devMatchesTheReferenceOnANonSquareImage() throws Exception {
        GenerationRequest request = new GenerationRequest("a red circle above a blue square, photo", 192, 128, 4,
                3.5, 1234);
        assertParity(TinyPackage.get(), TinyPackage.folder(), request);
    }

    @Test
    void kleinBaseGuidanceMatchesTheReference() throws Exception {
        // The tiny graphs as a klein-base package: the same weights, sampled with true CFG.
        Path folder = copyWithVariant(TinyPackage.folder(), "klein-base");
        try (ModelPackage kleinBase = new ModelPackageLoader(true).load(folder, Device.cpu())) {
            GenerationRequest request = new GenerationRequest("two green trees", 128, 128, 3, 4.0, 99);
            assertParity(kleinBase, folder, request);
        }
    }

    private void assertParity(ModelPackage modelPackage, Path folder, GenerationRequest request) throws Exception {
        TokenGrid grid = TokenGrid.forImage(request.width(), request.height());
        Path noise = work.resolve("noise.npy");
        Path out = work.resolve("image.npy");
        Npy.writeFloat32(noise, new long[] {1, 128, grid.rows(), grid.cols()},
                NOISE.sample(request.seed(), 128, grid.rows(), grid.cols()));

        DecodedImage java;
        try (Flux2Pipeline pipeline = new Flux2Pipeline(modelPackage, NOISE, LIMITS)) {
            java = pipeline.generate(request, StepListener.NONE);
        }
        runReference(folder, request, noise, out);

        Npy.Array reference = Npy.readFloat32(out);
        assertThat(reference.shape()).containsExactly(1, 3, request.height(), request.width());
        float diff = Flux2PipelineTest.maxAbsDiff(java.chw(), reference.data());
        System.out.printf("parity %s %dx%d: max abs diff %.3g%n", modelPackage.manifest().variant(),
                request.width(), request.height(), diff);
        assertThat(diff).isLessThan(TOLERANCE);
        Flux2PipelineTest.assertNotConstantAndFinite(java);
    }

    private static void runReference(Path folder, GenerationRequest request, Path noise, Path out)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("/usr/bin/python3", "-m", "flux2_tools.reference",
                "--package", folder.toString(),
                "--prompt", request.prompt(),
                "--width", Integer.toString(request.width()),
                "--height", Integer.toString(request.height()),
                "--steps", Integer.toString(request.steps()),
                "--guidance", Double.toString(request.guidance()),
                "--noise", noise.toString(),
                "--out", out.toString()));
        Process process = new ProcessBuilder(command)
                .directory(TinyPackage.modelTools().toFile())
                .redirectErrorStream(true)
                .start();
        String output;
        boolean finished = process.waitFor(120, TimeUnit.SECONDS);
        output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!finished) {
            process.destroyForcibly();
        }
        assertThat(finished).as("reference finished in time").isTrue();
        assertThat(process.exitValue()).as("reference exit status; output:%n%s", output).isZero();
    }

    /** A copy of a package with another variant in model.json and checksums.sha256 rewritten to match. */
    private Path copyWithVariant(Path source, String variant) throws Exception {
        Path target = Files.createDirectories(work.resolve("tiny-" + variant));
        try (var files = Files.list(source)) {
            for (Path file : files.toList()) {
                Files.copy(file, target.resolve(file.getFileName()));
            }
        }
        Path manifest = target.resolve("model.json");
        String json = Files.readString(manifest);
        String changed = json.replaceFirst("\"variant\":\\s*\"[^\"]*\"", "\"variant\": \"" + variant + "\"");
        assertThat(changed).isNotEqualTo(json);
        Files.writeString(manifest, changed);
        Path checksums = target.resolve("checksums.sha256");
        String manifestSum = HexFormat.of().formatHex(
                MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(manifest)));
        List<String> lines = new ArrayList<>();
        for (String line : Files.readAllLines(checksums)) {
            lines.add(line.endsWith(" model.json") ? manifestSum + "  model.json" : line);
        }
        Files.write(checksums, lines);
        return target;
    }
}
