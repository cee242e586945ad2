package io.flux2.inference.pipeline;

/** Hears about every finished denoising step and may stop the generation between steps. */
@FunctionalInterface
public interface StepListener {

    StepListener NONE = (step, totalSteps) -> true;

    /**
     * @param step       steps done so far, 1..totalSteps
     * @param totalSteps steps of this generation
     * @return {@code true} to go on, {@code false} to cancel; the pipeline then throws
     *         {@link GenerationCancelledException}
     */
    boolean afterStep(int step, int totalSteps);
}
