package io.flux2.inference.pipeline;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;

/**
 * Prompt to text context: template, tokenise to exactly {@code maxLength} (right-padded, truncated), run the
 * text encoder graph. All positions, padding included, go to the transformer (the model was trained so;
 * research/flux2-model.md 2.1 "no attention mask").
 */
final class PromptEncoder {

    static final String PLACEHOLDER = "{prompt}";

    private final HuggingFaceTokenizer tokenizer;
    private final Predictor<NDList, NDList> textEncoder;
    private final String template;
    private final int maxLength;

    PromptEncoder(HuggingFaceTokenizer tokenizer, Predictor<NDList, NDList> textEncoder, String template,
            int maxLength) {
        this.tokenizer = tokenizer;
        this.textEncoder = textEncoder;
        this.template = template;
        this.maxLength = maxLength;
    }

    /** Token ids and attention mask of the templated prompt, each exactly {@code maxLength} long. */
    TokenizedPrompt tokenize(String prompt) {
        // replace(), not a regex: a prompt may contain $ or backslashes.
        Encoding encoding = tokenizer.encode(template.replace(PLACEHOLDER, prompt));
        long[] ids = encoding.getIds();
        long[] mask = encoding.getAttentionMask();
        if (ids.length != maxLength || mask.length != maxLength) {
            throw new IllegalStateException("Tokenizer gave " + ids.length + " tokens; the text encoder needs "
                    + maxLength);
        }
        return new TokenizedPrompt(ids, mask);
    }

    /** The context {@code [1, L, C]} float32, owned by {@code manager}. */
    NDArray encode(NDManager manager, String prompt) {
        TokenizedPrompt tokens = tokenize(prompt);
        NDArray ids = manager.create(tokens.ids(), new Shape(1, maxLength));
        NDArray mask = manager.create(tokens.mask(), new Shape(1, maxLength));
        try {
            return textEncoder.predict(new NDList(ids, mask)).singletonOrThrow();
        } catch (TranslateException e) {
            throw new IllegalStateException("Text encoder failed: " + e.getMessage(), e);
        }
    }

    record TokenizedPrompt(long[] ids, long[] mask) {
    }
}
