package io.flux2.inference.pipeline;

import ai.djl.ndarray.NDArray;

/**
 * dev and klein: one forward per step. dev's graph embeds the guidance scalar; klein's graph takes the same
 * input and ignores it (docs/model-package.md), so both run the same call.
 */
final class SingleForwardVelocity implements VelocityModel {

    private final TransformerCall transformer;
    private final NDArray context;

    SingleForwardVelocity(TransformerCall transformer, NDArray context) {
        this.transformer = transformer;
        this.context = context;
    }

    @Override
    public NDArray velocity(NDArray x, NDArray sigma) {
        return transformer.forward(x, sigma, context);
    }
}
