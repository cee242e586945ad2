package io.flux2.inference.pipeline;

import io.flux2.inference.model.ModelPackage;

/** Builds pipelines with the service's noise source and limits; one per thread and package. */
public final class PipelineFactory {

    private final NoiseSource noise;
    private final GenerationLimits limits;

    public PipelineFactory(NoiseSource noise, GenerationLimits limits) {
        this.noise = noise;
        this.limits = limits;
    }

    public Flux2Pipeline create(ModelPackage modelPackage) {
        return new Flux2Pipeline(modelPackage, noise, limits);
    }

    public GenerationLimits limits() {
        return limits;
    }
}
