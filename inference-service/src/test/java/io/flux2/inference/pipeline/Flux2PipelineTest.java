package io.flux2.inference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.flux2.inference.TinyPackage;
import io.flux2.inference.model.ModelPackage;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class Flux2PipelineTest {

    private static final GenerationLimits LIMITS = new GenerationLimits(64, 50, 2048L * 2048);
    private static Flux2Pipeline pipeline;

    @BeforeAll
    static void load() {
        pipeline = new Flux2Pipeline(TinyPackage.get(), new TorchCpuNoise(), LIMITS);
    }

    @AfterAll
    static void close() {
        pipeline.close();
    }

    private static GenerationRequest request(int width, int height, long seed) {
        return new GenerationRequest("a red circle on a white background", width, height, 4, 4.0, seed);
    }

    @Test
    void generatesA128SquareThatIsNotConstant() {
        long start = System.nanoTime();
        DecodedImage image = pipeline.generate(request(128, 128, 1), StepListener.NONE);
        long first = (System.nanoTime() - start) / 1_000_000;
        start = System.nanoTime();
        pipeline.generate(request(128, 128, 2), StepListener.NONE);
        System.out.println("128x128, 4 steps: first " + first + " ms, again "
                + (System.nanoTime() - start) / 1_000_000 + " ms");
        assertThat(image.width()).isEqualTo(128);
        assertThat(image.height()).isEqualTo(128);
        assertThat(image.chw()).hasSize(3 * 128 * 128);
        assertNotConstantAndFinite(image);
    }

    @Test
    void generatesANonSquareSize() {
        DecodedImage image = pipeline.generate(request(192, 128, 1), StepListener.NONE);
        assertThat(image.width()).isEqualTo(192);
        assertThat(image.height()).isEqualTo(128);
        assertThat(image.chw()).hasSize(3 * 192 * 128);
        assertNotConstantAndFinite(image);
    }

    @Test
    void sameSeedSameImageOtherSeedOtherImage() {
        float[] first = pipeline.generate(request(64, 64, 42), StepListener.NONE).chw();
        float[] again = pipeline.generate(request(64, 64, 42), StepListener.NONE).chw();
        float[] other = pipeline.generate(request(64, 64, 43), StepListener.NONE).chw();
        assertThat(again).containsExactly(first);
        assertThat(maxAbsDiff(first, other)).isGreaterThan(1e-3f);
    }

    @Test
    void promptChangesTheImage() {
        float[] circle = pipeline.generate(request(64, 64, 7), StepListener.NONE).chw();
        float[] cat = pipeline.generate(new GenerationRequest("a black cat", 64, 64, 4, 4.0, 7),
                StepListener.NONE).chw();
        assertThat(maxAbsDiff(circle, cat)).isGreaterThan(1e-4f);
    }

    @Test
    void tellsTheListenerAboutEveryStep() {
        List<String> seen = new ArrayList<>();
        pipeline.generate(new GenerationRequest("x", 64, 64, 3, 4.0, 1), (step, total) -> {
            seen.add(step + "/" + total);
            return true;
        });
        assertThat(seen).containsExactly("1/3", "2/3", "3/3");
    }

    @Test
    void stopsBetweenStepsWhenTheListenerSaysSo() {
        List<Integer> seen = new ArrayList<>();
        assertThatThrownBy(() -> pipeline.generate(new GenerationRequest("x", 64, 64, 5, 4.0, 1), (step, total) -> {
            seen.add(step);
            return step < 2;
        })).isInstanceOf(GenerationCancelledException.class)
                .hasMessageContaining("after step 2 of 5");
        assertThat(seen).containsExactly(1, 2);
    }

    /** A stop that comes with the last step saves no GPU work: the picture is finished, not thrown away. */
    @Test
    void aStopAfterTheLastStepStillDeliversThePicture() {
        List<Integer> seen = new ArrayList<>();
        var picture = pipeline.generate(new GenerationRequest("x", 64, 64, 3, 4.0, 1), (step, total) -> {
            seen.add(step);
            return step < 3;
        });
        assertThat(seen).containsExactly(1, 2, 3);
        assertThat(picture.width()).isEqualTo(64);
    }

    @Test
    void refusesWhatItCannotRun() {
        assertRefused(new GenerationRequest("x", 100, 128, 4, 4.0, 1), "width", "multiple of 16");
        assertRefused(new GenerationRequest("x", 128, 120, 4, 4.0, 1), "height", "multiple of 16");
        assertRefused(new GenerationRequest("x", 48, 128, 4, 4.0, 1), "width", "at least 64");
        assertRefused(new GenerationRequest("x", 128, 128, 0, 4.0, 1), "steps", "between 1 and 50");
        assertRefused(new GenerationRequest("x", 128, 128, 51, 4.0, 1), "steps", "between 1 and 50");
        assertRefused(new GenerationRequest("x", 4096, 2048, 4, 4.0, 1), "width", "at most 4194304 pixels");
        assertRefused(new GenerationRequest(null, 128, 128, 4, 4.0, 1), "prompt", "required");
        assertRefused(new GenerationRequest("x", 128, 128, 4, Double.NaN, 1), "guidance", "finite");
        // 2048x2048 is exactly the 4 MP limit and passes the check
        pipeline.check(new GenerationRequest("x", 2048, 2048, 4, 4.0, 1));
    }

    @Test
    void tokenizesToTheFullTextLength() {
        ModelPackage tiny = TinyPackage.get();
        int maxLength = tiny.manifest().textEncoder().maxLength();
        PromptEncoder encoder = new PromptEncoder(tiny.tokenizer(), null, tiny.manifest().textEncoder(),
                GraphClock.NONE);
        PromptEncoder.TokenizedPrompt tokens = encoder.tokenize("A red circle, $1 \\ unknownword");
        assertThat(tokens.ids()).hasSize(maxLength);
        assertThat(tokens.mask()).hasSize(maxLength);
        assertThat(tokens.ids()[0]).isEqualTo(2L); // "a", lower-cased
        assertThat(tokens.mask()[0]).isEqualTo(1L);
        assertThat(tokens.ids()[maxLength - 1]).isZero();
        assertThat(tokens.mask()[maxLength - 1]).isZero();
        PromptEncoder.TokenizedPrompt longOne = encoder.tokenize("red ".repeat(maxLength + 10));
        assertThat(longOne.ids()).hasSize(maxLength);
        assertThat(longOne.mask()[maxLength - 1]).isEqualTo(1L);
    }

    @Test
    void refusesTheIssuesBadInputsWithClearMessages() {
        ReferenceImage square = solid(128, 128);
        // 11 references
        assertRefused(new GenerationRequest("x", 128, 128, 4, 4.0, 1, java.util.Collections.nCopies(11, square)),
                "references", "at most 10 reference images are allowed, got 11");
        // a 10x1 px reference, named by its index
        assertRefused(new GenerationRequest("x", 128, 128, 4, 4.0, 1, List.of(square, solid(10, 1))),
                "references", "reference 1 is 10x1 px: each side must be at least 64 px");
        // aspect over 8
        assertRefused(new GenerationRequest("x", 128, 128, 4, 4.0, 1, List.of(solid(64 * 9, 64))),
                "references", "reference 0 is 576x64 px: its aspect ratio 9.00 is over 8");
        // 5 megapixels (2560x2048 = 5242880 pixels)
        assertRefused(new GenerationRequest("x", 2560, 2048, 4, 4.0, 1), "width",
                "2560x2048 is 5242880 pixels (5.00 MP); at most 4194304 pixels (4.00 MP) are allowed");
        // width 70
        assertRefused(new GenerationRequest("x", 70, 128, 4, 4.0, 1), "width",
                "width must be a multiple of 16, was 70 (64 would do)");
        // no size and nothing to take it from
        assertRefused(new GenerationRequest("x", null, null, 4, 4.0, 1, List.of()), "width", "required");
    }

    @Test
    void takesTheLastReferencesProcessedSizeWhenNoSizeIsGiven() {
        // 170x100 -> centre crop 160x96; the first reference's size does not count
        DecodedImage image = pipeline.generate(new GenerationRequest("x", null, null, 2, 4.0, 1,
                List.of(solid(128, 128), solid(170, 100))), StepListener.NONE);
        assertThat(image.width()).isEqualTo(160);
        assertThat(image.height()).isEqualTo(96);
        assertNotConstantAndFinite(image);
    }

    @Test
    void referencesChangeTheImage() {
        float[] plain = pipeline.generate(request(64, 64, 3), StepListener.NONE).chw();
        float[] edited = pipeline.generate(new GenerationRequest("a red circle on a white background", 64, 64, 4,
                4.0, 3, List.of(solid(64, 64))), StepListener.NONE).chw();
        assertThat(maxAbsDiff(plain, edited)).isGreaterThan(1e-4f);
    }

    static ReferenceImage solid(int width, int height) {
        byte[] rgb = new byte[width * height * 3];
        for (int i = 0; i < rgb.length; i++) {
            rgb[i] = (byte) (i * 37 % 251);
        }
        return new ReferenceImage(width, height, rgb);
    }

    private static void assertRefused(GenerationRequest request, String field, String message) {
        assertThatThrownBy(() -> pipeline.generate(request, StepListener.NONE))
                .isInstanceOf(InvalidGenerationException.class)
                .hasMessageContaining(message)
                .satisfies(e -> assertThat(((InvalidGenerationException) e).field()).isEqualTo(field));
    }

    static void assertNotConstantAndFinite(DecodedImage image) {
        float min = Float.POSITIVE_INFINITY;
        float max = Float.NEGATIVE_INFINITY;
        for (float v : image.chw()) {
            assertThat(Float.isFinite(v)).isTrue();
            min = Math.min(min, v);
            max = Math.max(max, v);
        }
        assertThat(max - min).isGreaterThan(1e-3f);
    }

    static float maxAbsDiff(float[] a, float[] b) {
        assertThat(a).hasSameSizeAs(b);
        float max = 0;
        for (int i = 0; i < a.length; i++) {
            max = Math.max(max, Math.abs(a[i] - b[i]));
        }
        return max;
    }
}
