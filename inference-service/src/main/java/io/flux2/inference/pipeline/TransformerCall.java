package io.flux2.inference.pipeline;

import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.translate.TranslateException;

/**
 * One transformer forward in the argument order of docs/model-package.md:
 * {@code (x, x_ids, timesteps, ctx, ctx_ids, guidance)}. x comes first on purpose: DJL puts a graph's
 * outputs into the manager of the first input, which is how the pipeline scopes them per step.
 */
final class TransformerCall {

    private final Predictor<NDList, NDList> transformer;
    private final NDArray imageIds;
    private final NDArray textIds;
    private final NDArray guidance;

    TransformerCall(Predictor<NDList, NDList> transformer, NDArray imageIds, NDArray textIds, NDArray guidance) {
        this.transformer = transformer;
        this.imageIds = imageIds;
        this.textIds = textIds;
        this.guidance = guidance;
    }

    NDArray forward(NDArray x, NDArray sigma, NDArray context) {
        try {
            return transformer.predict(new NDList(x, imageIds, sigma, context, textIds, guidance)).singletonOrThrow();
        } catch (TranslateException e) {
            throw new IllegalStateException("Transformer failed: " + e.getMessage(), e);
        }
    }
}
