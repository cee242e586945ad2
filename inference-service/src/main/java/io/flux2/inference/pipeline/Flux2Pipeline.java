package io.flux2.inference.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.TranslateException;
import io.flux2.inference.model.ModelManifest;
import io.flux2.inference.model.ModelPackage;
import io.flux2.inference.model.Variant;

/**
 * FLUX.2 text-to-image on one model package (research/flux2-model.md sections 2.4, 3 and 5): encode the
 * prompt, draw noise in the packed latent space, pack it to tokens, integrate the flow with Euler steps over
 * the empirical-mu schedule, unpack and decode.
 *
 * <p>One instance per thread: it owns that thread's DJL predictors. Every tensor of a generation lives in one
 * manager closed at the end; each step runs in a sub-manager that takes the previous state with it, so
 * memory stays flat however many steps run. Nothing is copied to the host until the decoded image.
 */
public final class Flux2Pipeline implements AutoCloseable {

    private final ModelPackage modelPackage;
    private final ModelPackage.Predictors predictors;
    private final NoiseSource noise;
    private final GenerationLimits limits;
    private final PromptEncoder prompts;
    private final Variant variant;

    public Flux2Pipeline(ModelPackage modelPackage, NoiseSource noise, GenerationLimits limits) {
        this.modelPackage = modelPackage;
        this.noise = noise;
        this.limits = limits;
        this.predictors = modelPackage.newPredictors();
        ModelManifest.TextEncoder text = modelPackage.manifest().textEncoder();
        this.prompts = new PromptEncoder(modelPackage.tokenizer(), predictors.textEncoder(), text.promptTemplate(),
                text.maxLength());
        this.variant = modelPackage.manifest().variantKind();
    }

    public ModelPackage modelPackage() {
        return modelPackage;
    }

    /** Checks the request against the limits without running anything. */
    public void check(GenerationRequest request) {
        limits.check(request);
    }

    public DecodedImage generate(GenerationRequest request, StepListener listener) {
        limits.check(request);
        TokenGrid grid = TokenGrid.forImage(request.width(), request.height());
        SigmaSchedule schedule = SigmaSchedule.of(grid.tokens(), request.steps());
        float[] initialNoise = noise.sample(request.seed(), TokenGrid.CHANNELS, grid.rows(), grid.cols());

        try (NDManager generation = modelPackage.newManager()) {
            NDArray context = prompts.encode(generation, request.prompt());
            int textLength = Math.toIntExact(context.getShape().get(1));
            NDArray guidance = generation.create(new float[] {(float) request.guidance()});
            TransformerCall transformer = new TransformerCall(predictors.transformer(),
                    generation.create(grid.imageIds(), new Shape(1, grid.tokens(), TokenGrid.ID_AXES)),
                    generation.create(TokenGrid.textIds(textLength), new Shape(1, textLength, TokenGrid.ID_AXES)),
                    guidance);
            VelocityModel model = variant == Variant.KLEIN_BASE
                    ? new ClassifierFreeVelocity(transformer, context, prompts.encode(generation, ""), guidance)
                    : new SingleForwardVelocity(transformer, context);

            NDArray x = grid.pack(generation.create(initialNoise, grid.latentShape()));
            x = integrate(model, x, schedule, generation, listener);
            NDArray image = decode(grid.unpack(x));
            return new DecodedImage(request.width(), request.height(), request.seed(), image.toFloatArray());
        }
    }

    /** Euler: {@code x <- x + (sigma_{i+1} - sigma_i) v(x, sigma_i)}, float32 throughout. */
    private static NDArray integrate(VelocityModel model, NDArray x, SigmaSchedule schedule, NDManager generation,
            StepListener listener) {
        int steps = schedule.steps();
        // Uploaded once; a step slices them on the device instead of copying a scalar from the host.
        NDArray sigmas = generation.create(schedule.sigmasAsFloat());
        NDArray stepSizes = generation.create(schedule.stepSizesAsFloat());
        for (int i = 0; i < steps; i++) {
            try (NDManager step = generation.newSubManager()) {
                // The step owns the previous state, so it is freed with the step's intermediates.
                x.attach(step);
                NDArray sigma = sigmas.get(i + ":" + (i + 1));
                sigma.attach(step);
                NDArray dt = stepSizes.get(i + ":" + (i + 1));
                dt.attach(step);
                NDArray velocity = model.velocity(x, sigma);
                NDArray next = x.add(velocity.mul(dt));
                next.attach(generation);
                x = next;
            }
            if (!listener.afterStep(i + 1, steps)) {
                throw new GenerationCancelledException(i + 1, steps);
            }
        }
        return x;
    }

    private NDArray decode(NDArray latent) {
        try {
            return predictors.vaeDecoder().predict(new NDList(latent)).singletonOrThrow();
        } catch (TranslateException e) {
            throw new IllegalStateException("VAE decoder failed: " + e.getMessage(), e);
        }
    }

    @Override
    public void close() {
        predictors.close();
    }
}
