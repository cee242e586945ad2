package io.flux2.inference.pipeline;

import ai.djl.ndarray.NDArray;

/** The flow's velocity at one point of the sampling path, with the variant's guidance already applied. */
interface VelocityModel {

    /**
     * @param x     packed latent tokens {@code [1, S, 128]}; the result lives in x's manager
     * @param sigma the current sigma as a float32 {@code [1]} tensor
     */
    NDArray velocity(NDArray x, NDArray sigma);
}
