package io.flux2.inference.pipeline;

import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.flux2.inference.model.ModelManifest;
import java.util.Arrays;
import java.util.List;

/**
 * Prompt to text context (model-tools README, numeric rule 1): delete the manifest's {@code prompt_remove}
 * strings, substitute into {@code prompt_template}, tokenise (with or without the tokenizer's special tokens as
 * {@code add_special_tokens} says), truncate to {@code max_length} on the right, pad to {@code max_length} with
 * {@code pad_token_id} on {@code padding_side}, mask 1 for real tokens; run the text encoder graph. All positions,
 * padding included, go to the transformer (research/flux2-model.md 2.1 "no attention mask").
 */
final class PromptEncoder {

    static final String PLACEHOLDER = "{prompt}";

    private final HuggingFaceTokenizer tokenizer;
    private final Predictor<NDList, NDList> textEncoder;
    private final GraphClock clock;
    private final String template;
    private final int maxLength;
    private final long padId;
    private final boolean padLeft;
    private final boolean addSpecialTokens;
    private final List<String> remove;

    PromptEncoder(HuggingFaceTokenizer tokenizer, Predictor<NDList, NDList> textEncoder,
            ModelManifest.TextEncoder settings, GraphClock clock) {
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.clock = clock;
        this.template = settings.promptTemplate();
        this.maxLength = settings.maxLength();
        this.padId = settings.padTokenId();
        this.padLeft = settings.padsLeft();
        this.addSpecialTokens = settings.addSpecialTokens();
        this.remove = settings.promptRemove();
    }

    /** The text that is tokenised: removals, then the template (plain replacement; a prompt may hold $ or \). */
    String text(String prompt) {
        String cleaned = prompt;
        for (String unwanted : remove) {
            if (!unwanted.isEmpty()) {
                cleaned = cleaned.replace(unwanted, "");
            }
        }
        return template.replace(PLACEHOLDER, cleaned);
    }

    /** Token ids and attention mask of the templated prompt, each exactly {@code maxLength} long. */
    TokenizedPrompt tokenize(String prompt) {
        long[] raw = tokenizer.encode(text(prompt), addSpecialTokens, false).getIds();
        int real = Math.min(raw.length, maxLength);
        long[] ids = new long[maxLength];
        long[] mask = new long[maxLength];
        Arrays.fill(ids, padId);
        int offset = padLeft ? maxLength - real : 0;
        System.arraycopy(raw, 0, ids, offset, real);
        Arrays.fill(mask, offset, offset + real, 1L);
        return new TokenizedPrompt(ids, mask);
    }

    /** The context {@code [1, L, C]} float32, owned by {@code manager}. */
    NDArray encode(NDManager manager, String prompt) {
        TokenizedPrompt tokens = tokenize(prompt);
        NDArray ids = manager.create(tokens.ids(), new Shape(1, maxLength));
        NDArray mask = manager.create(tokens.mask(), new Shape(1, maxLength));
        return clock.forward(GraphClock.Graph.TEXT_ENCODER, textEncoder, new NDList(ids, mask)).singletonOrThrow();
    }

    record TokenizedPrompt(long[] ids, long[] mask) {
    }
}
