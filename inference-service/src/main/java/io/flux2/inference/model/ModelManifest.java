package io.flux2.inference.model;

import java.util.List;

/**
 * {@code model.json} of a model package (docs/model-package.md). Only the fields the Java side acts on are
 * typed; the rest (e.g. {@code source}) is ignored on reading.
 */
public record ModelManifest(
        int format,
        String name,
        String variant,
        String dtype,
        Transformer transformer,
        TextEncoder textEncoder,
        Vae vae,
        Defaults defaults) {

    public static final int SUPPORTED_FORMAT = 1;

    public Variant variantKind() {
        return Variant.fromManifest(variant);
    }

    public record Transformer(int hiddenSize, int numHeads, int headDim, List<Integer> axesDim, int depthDouble,
            int depthSingle, int inChannels, int contextDim, double mlpRatio, double ropeTheta,
            boolean guidanceEmbed) {
    }

    /**
     * @param paddingSide      {@code left} or {@code right} (absent: right): where the {@code padTokenId} padding
     *                         goes; the attention mask follows it
     * @param addSpecialTokens false: tokenise without the tokenizer's own BOS/EOS (the template has them);
     *                         absent: true
     * @param promptRemove     strings deleted from the user's prompt before it goes into the template
     */
    public record TextEncoder(int maxLength, List<Integer> hiddenLayers, String promptTemplate, int padTokenId,
            String paddingSide, Boolean addSpecialTokens, List<String> promptRemove) {

        public static final String RIGHT = "right";
        public static final String LEFT = "left";

        public TextEncoder {
            paddingSide = paddingSide == null ? RIGHT : paddingSide;
            addSpecialTokens = addSpecialTokens == null || addSpecialTokens;
            promptRemove = promptRemove == null ? List.of() : List.copyOf(promptRemove);
        }

        public boolean padsLeft() {
            return LEFT.equals(paddingSide);
        }
    }

    public record Vae(int zChannels, int downscale, int patch) {

        /** Pixels per latent token side: a token is one {@code downscale * patch} square of pixels. */
        public int pixelsPerToken() {
            return downscale * patch;
        }
    }

    public record Defaults(int steps, double guidance, int width, int height) {
    }
}
