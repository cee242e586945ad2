package io.flux2.inference.pipeline;

import java.util.concurrent.CancellationException;

/** A generation stopped between steps because its {@link StepListener} asked to. */
public class GenerationCancelledException extends CancellationException {

    private final int completedSteps;

    public GenerationCancelledException(int completedSteps, int totalSteps) {
        super("Generation cancelled after step " + completedSteps + " of " + totalSteps);
        this.completedSteps = completedSteps;
    }

    public int completedSteps() {
        return completedSteps;
    }
}
