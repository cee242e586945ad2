package io.flux2.inference.pipeline;

import ai.djl.ndarray.NDArray;

/**
 * klein-base: true classifier-free guidance against the empty prompt,
 * {@code v = v_u + g (v_c - v_u)} (research/flux2-model.md 5, official {@code denoise_cfg}). Two forwards per
 * step; batching both halves into one [2, ...] forward is a later optimisation.
 */
final class ClassifierFreeVelocity implements VelocityModel {

    private final TransformerCall transformer;
    private final NDArray context;
    private final NDArray emptyContext;
    private final NDArray scale;

    /** @param scale the guidance scale as a float32 {@code [1]} tensor on the device */
    ClassifierFreeVelocity(TransformerCall transformer, NDArray context, NDArray emptyContext, NDArray scale) {
        this.transformer = transformer;
        this.context = context;
        this.emptyContext = emptyContext;
        this.scale = scale;
    }

    @Override
    public NDArray velocity(NDArray x, NDArray sigma) {
        NDArray unconditional = transformer.forward(x, sigma, emptyContext);
        NDArray conditional = transformer.forward(x, sigma, context);
        return unconditional.add(conditional.sub(unconditional).mul(scale));
    }
}
