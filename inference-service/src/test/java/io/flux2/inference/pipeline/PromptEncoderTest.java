package io.flux2.inference.pipeline;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import io.flux2.inference.TinyPackage;
import io.flux2.inference.model.ModelManifest;
import io.flux2.inference.model.ModelPackage;
import io.flux2.inference.model.ModelPackageLoader;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** model.json's text-encoder options: padding_side, pad_token_id, prompt_remove, add_special_tokens. */
class PromptEncoderTest {

    private static ModelPackage klein;
    private static ModelManifest.TextEncoder right;

    @BeforeAll
    static void load() {
        klein = new ModelPackageLoader(true).load(TinyPackage.folder("tiny-klein"), Device.cpu());
        right = klein.manifest().textEncoder();
    }

    @AfterAll
    static void close() {
        klein.close();
    }

    private static PromptEncoder encoder(ModelManifest.TextEncoder settings) {
        return new PromptEncoder(klein.tokenizer(), null, settings, GraphClock.NONE);
    }

    private static ModelManifest.TextEncoder with(String side, int padId, List<String> remove) {
        return new ModelManifest.TextEncoder(right.maxLength(), right.hiddenLayers(), right.promptTemplate(), padId,
                side, false, remove);
    }

    @Test
    void readsTheOptionsFromModelJson() {
        assertThat(right.paddingSide()).isEqualTo("right");
        assertThat(right.addSpecialTokens()).isFalse();
        assertThat(right.promptRemove()).isEmpty();
        ModelManifest.TextEncoder tiny = TinyPackage.get().manifest().textEncoder();
        // absent in packages/tiny: right, with special tokens, nothing removed
        assertThat(tiny.paddingSide()).isEqualTo("right");
        assertThat(tiny.addSpecialTokens()).isTrue();
        assertThat(tiny.promptRemove()).isEmpty();
    }

    @Test
    void padsOnTheRightWithThePadId() {
        PromptEncoder.TokenizedPrompt tokens = encoder(with("right", 5, List.of())).tokenize("a red circle");
        int real = count(tokens.mask());
        assertThat(real).isGreaterThan(3);
        assertThat(tokens.ids()).hasSize(512);
        // the chat template starts with <|im_start|>, an added token matched verbatim
        assertThat(tokens.ids()[0]).isNotEqualTo(5L).isNotEqualTo(1L);
        assertThat(tokens.mask()[real - 1]).isEqualTo(1L);
        assertThat(tokens.mask()[real]).isZero();
        assertThat(Arrays.copyOfRange(tokens.ids(), real, 512)).containsOnly(5L);
    }

    @Test
    void padsOnTheLeftWhenTheManifestSaysSo() {
        PromptEncoder.TokenizedPrompt r = encoder(with("right", 7, List.of())).tokenize("a red circle");
        PromptEncoder.TokenizedPrompt l = encoder(with("left", 7, List.of())).tokenize("a red circle");
        int real = count(r.mask());
        assertThat(count(l.mask())).isEqualTo(real);
        assertThat(Arrays.copyOfRange(l.ids(), 0, 512 - real)).containsOnly(7L);
        assertThat(Arrays.copyOfRange(l.mask(), 0, 512 - real)).containsOnly(0L);
        assertThat(Arrays.copyOfRange(l.mask(), 512 - real, 512)).containsOnly(1L);
        assertThat(Arrays.copyOfRange(l.ids(), 512 - real, 512)).containsExactly(Arrays.copyOfRange(r.ids(), 0, real));
    }

    @Test
    void truncatesOnTheRightWhicheverSideItPads() {
        String longPrompt = "red ".repeat(600);
        PromptEncoder.TokenizedPrompt l = encoder(with("left", 7, List.of())).tokenize(longPrompt);
        PromptEncoder.TokenizedPrompt r = encoder(with("right", 7, List.of())).tokenize(longPrompt);
        assertThat(count(l.mask())).isEqualTo(512);
        assertThat(l.ids()).containsExactly(r.ids());
    }

    @Test
    void removesTheManifestsStringsFromThePrompt() {
        PromptEncoder encoder = encoder(with("left", 0, List.of("[IMG]")));
        assertThat(encoder.text("a [IMG]cat[IMG] $1 \\")).isEqualTo(right.promptTemplate().replace("{prompt}",
                "a cat $1 \\"));
        assertThat(encoder.tokenize("a [IMG]cat").ids()).containsExactly(encoder.tokenize("a cat").ids());
    }

    private static int count(long[] mask) {
        int n = 0;
        for (long m : mask) {
            n += (int) m;
        }
        return n;
    }
}
