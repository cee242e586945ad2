package io.flux2.inference.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDList;

/**
 * The flow's velocity at one point of the sampling path for the target tokens, with the variant's guidance
 * applied, in one transformer forward per step (research/flux2-model.md 5 and 6; model-tools README rule 6):
 * <ul>
 *   <li>the input sequence is {@code [target tokens, ref_0 tokens, ref_1 tokens, ...]}; the prediction is sliced
 *       back to the target's tokens;</li>
 *   <li>dev and klein: batch 1; dev's graph embeds the guidance scalar, klein's takes the same input and
 *       ignores it;</li>
 *   <li>klein-base: true CFG against the empty prompt as ONE batch of 2, index 0 unconditional, index 1
 *       conditional, {@code v = v_u + g (v_c - v_u)} in float32.</li>
 * </ul>
 * The constant inputs (ids, context, guidance, reference tokens) are built once per generation by the pipeline.
 * x comes first in the graph's arguments on purpose: DJL puts a graph's outputs into the manager of the first
 * input, which is how the pipeline scopes them per step.
 */
final class VelocityModel {

    private final GraphClock clock;
    private final ai.djl.inference.Predictor<NDList, NDList> transformer;
    private final NDArray ids;
    private final NDArray context;
    private final NDArray textIds;
    private final NDArray guidance;
    /** {@code [1, R, 128]} reference tokens, or null. */
    private final NDArray referenceTokens;
    private final int targetTokens;
    /** The CFG scale as a float32 {@code [1]} tensor, or null for a single forward. */
    private final NDArray cfgScale;
    private final NDIndex target;

    /**
     * @param ids      {@code [B, S + R, 4]} target then reference ids, repeated over the batch
     * @param context  {@code [B, L, C]}: for CFG the empty prompt's context first
     * @param textIds  {@code [B, L, 4]}
     * @param guidance {@code [B]} float32
     */
    VelocityModel(GraphClock clock, ai.djl.inference.Predictor<NDList, NDList> transformer, NDArray ids,
            NDArray context, NDArray textIds, NDArray guidance, NDArray referenceTokens, int targetTokens,
            NDArray cfgScale) {
        this.clock = clock;
        this.transformer = transformer;
        this.ids = ids;
        this.context = context;
        this.textIds = textIds;
        this.guidance = guidance;
        this.referenceTokens = referenceTokens;
        this.targetTokens = targetTokens;
        this.cfgScale = cfgScale;
        this.target = new NDIndex().addAllDim().addSliceDim(0, targetTokens);
    }

    int batch() {
        return cfgScale == null ? 1 : 2;
    }

    /**
     * @param x     the target's packed latent tokens {@code [1, S, 128]}; the result lives in x's manager
     * @param sigma the current sigma as a float32 {@code [B]} tensor
     * @return {@code [1, S, 128]}
     */
    NDArray velocity(NDArray x, NDArray sigma) {
        NDArray input = referenceTokens == null ? x : x.concat(referenceTokens, 1);
        if (cfgScale != null) {
            input = input.concat(input, 0);
        }
        NDArray v = clock.forward(GraphClock.Graph.TRANSFORMER, transformer,
                new NDList(input, ids, sigma, context, textIds, guidance)).singletonOrThrow();
        if (referenceTokens != null) {
            v = v.get(target);
        }
        if (cfgScale == null) {
            return v;
        }
        NDArray unconditional = v.get(0).expandDims(0);
        NDArray conditional = v.get(1).expandDims(0);
        return unconditional.add(conditional.sub(unconditional).mul(cfgScale));
    }
}
