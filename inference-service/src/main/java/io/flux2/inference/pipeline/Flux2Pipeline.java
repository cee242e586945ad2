package io.flux2.inference.pipeline;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.flux2.inference.model.ModelPackage;
import io.flux2.inference.model.Variant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * FLUX.2 text-to-image and multi-reference editing on one model package (research/flux2-model.md sections 2.4,
 * 3, 5 and 6; the numeric rules of model-tools/README.md): encode the prompt, preprocess and VAE-encode each
 * reference, draw torch-compatible noise in the packed latent space, pack it to tokens, integrate the flow with
 * Euler steps over the empirical-mu schedule of the target's token count, unpack and decode.
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
    private final GraphClock clock;

    public Flux2Pipeline(ModelPackage modelPackage, NoiseSource noise, GenerationLimits limits) {
        this(modelPackage, noise, limits, GraphClock.NONE);
    }

    /** @param clock times the graph forwards (benchmarks); {@link GraphClock#NONE} otherwise */
    public Flux2Pipeline(ModelPackage modelPackage, NoiseSource noise, GenerationLimits limits, GraphClock clock) {
        this.modelPackage = modelPackage;
        this.noise = noise;
        this.limits = limits;
        this.clock = clock;
        this.predictors = modelPackage.newPredictors();
        this.prompts = new PromptEncoder(modelPackage.tokenizer(), predictors.textEncoder(),
                modelPackage.manifest().textEncoder(), clock);
        this.variant = modelPackage.manifest().variantKind();
    }

    public ModelPackage modelPackage() {
        return modelPackage;
    }

    public GenerationLimits limits() {
        return limits;
    }

    /**
     * Checks the request against the limits without running anything.
     *
     * @return the output size {@code {width, height}}
     */
    public int[] check(GenerationRequest request) {
        return limits.check(request);
    }

    public DecodedImage generate(GenerationRequest request, StepListener listener) {
        int[] size = limits.check(request);
        List<ReferencePreprocessor.Prepared> references = prepareReferences(request.references());
        int width = size[0];
        int height = size[1];
        TokenGrid grid = TokenGrid.forImage(width, height);
        // The schedule counts the target's tokens only, never the references'.
        SigmaSchedule schedule = SigmaSchedule.of(grid.tokens(), request.steps());
        float[] initialNoise = noise.sample(request.seed(), TokenGrid.CHANNELS, grid.rows(), grid.cols());
        boolean cfg = variant == Variant.KLEIN_BASE;
        int batch = cfg ? 2 : 1;

        try (NDManager generation = modelPackage.newManager()) {
            NDArray context = prompts.encode(generation, request.prompt());
            int textLength = Math.toIntExact(context.getShape().get(1));
            if (cfg) {
                // [uncond, cond]: the empty prompt through the same template and encoder, batch 1 like the reference
                context = NDArrays.concat(new NDList(prompts.encode(generation, ""), context), 0);
            }
            EncodedReferences encoded = encodeReferences(generation, references);
            long[] ids = concat(grid.imageIds(), encoded.ids());
            int sequence = grid.tokens() + encoded.tokens();
            float guidanceValue = (float) request.guidance();
            float[] guidance = new float[batch];
            Arrays.fill(guidance, guidanceValue);
            VelocityModel model = new VelocityModel(clock, predictors.transformer(),
                    generation.create(repeat(ids, batch), new Shape(batch, sequence, TokenGrid.ID_AXES)),
                    context,
                    generation.create(repeat(TokenGrid.textIds(textLength), batch),
                            new Shape(batch, textLength, TokenGrid.ID_AXES)),
                    generation.create(guidance),
                    encoded.tokensArray(),
                    grid.tokens(),
                    cfg ? generation.create(new float[] {guidanceValue}) : null);

            NDArray x = grid.pack(generation.create(initialNoise, grid.latentShape()));
            x = integrate(model, x, schedule, generation, listener);
            NDArray image = clock.forward(GraphClock.Graph.VAE_DECODER, predictors.vaeDecoder(),
                    new NDList(grid.unpack(x))).singletonOrThrow();
            return new DecodedImage(width, height, request.seed(), image.toFloatArray());
        }
    }

    private List<ReferencePreprocessor.Prepared> prepareReferences(List<ReferenceImage> images) {
        List<ReferencePreprocessor.Prepared> prepared = new ArrayList<>(images.size());
        for (int i = 0; i < images.size(); i++) {
            prepared.add(ReferencePreprocessor.prepare(images.get(i), i, images.size(), limits.references()));
        }
        return prepared;
    }

    /** Reference tokens {@code [1, R, 128]} (null without references) and their ids {@code (10 + 10k, row, col, 0)}. */
    private record EncodedReferences(NDArray tokensArray, int tokens, long[] ids) {
    }

    /** Each reference through the VAE encoder alone (batch 1), packed, concatenated in request order. */
    private EncodedReferences encodeReferences(NDManager generation, List<ReferencePreprocessor.Prepared> references) {
        if (references.isEmpty()) {
            return new EncodedReferences(null, 0, new long[0]);
        }
        NDList packed = new NDList(references.size());
        List<long[]> ids = new ArrayList<>(references.size());
        int tokens = 0;
        for (int k = 0; k < references.size(); k++) {
            ReferencePreprocessor.Prepared reference = references.get(k);
            TokenGrid grid = TokenGrid.forImage(reference.width(), reference.height());
            NDArray pixels = generation.create(reference.chw(), new Shape(1, 3, reference.height(), reference.width()));
            NDArray latent = clock.forward(GraphClock.Graph.VAE_ENCODER, predictors.vaeEncoder(), new NDList(pixels))
                    .singletonOrThrow();
            if (!latent.getShape().equals(grid.latentShape())) {
                throw new IllegalStateException("VAE encoder gave " + latent.getShape() + " for reference " + k
                        + "; expected " + grid.latentShape());
            }
            packed.add(grid.pack(latent));
            ids.add(grid.imageIds(TokenGrid.referenceTime(k)));
            tokens += grid.tokens();
        }
        NDArray all = packed.size() == 1 ? packed.get(0) : NDArrays.concat(packed, 1);
        return new EncodedReferences(all, tokens, concat(ids.toArray(long[][]::new)));
    }

    /** Euler: {@code x <- x + (sigma_{i+1} - sigma_i) v(x, sigma_i)}, float32 throughout. */
    private static NDArray integrate(VelocityModel model, NDArray x, SigmaSchedule schedule, NDManager generation,
            StepListener listener) {
        int steps = schedule.steps();
        int batch = model.batch();
        // Uploaded once; a step slices them on the device instead of copying a scalar from the host.
        NDArray sigmas = generation.create(repeatEach(schedule.sigmasAsFloat(), batch), new Shape(steps + 1, batch));
        NDArray stepSizes = generation.create(schedule.stepSizesAsFloat());
        for (int i = 0; i < steps; i++) {
            try (NDManager step = generation.newSubManager()) {
                // The step owns the previous state, so it is freed with the step's intermediates.
                x.attach(step);
                NDArray sigma = sigmas.get(i);
                sigma.attach(step);
                NDArray dt = stepSizes.get(new NDIndex().addSliceDim(i, i + 1));
                dt.attach(step);
                NDArray velocity = model.velocity(x, sigma);
                NDArray next = x.add(velocity.mul(dt));
                next.attach(generation);
                x = next;
            }
            // After the last step all the GPU work is done: stopping then would throw the image away and still
            // bill every step, so the image is finished instead.
            if (!listener.afterStep(i + 1, steps) && i + 1 < steps) {
                throw new GenerationCancelledException(i + 1, steps);
            }
        }
        return x;
    }

    private static long[] concat(long[]... parts) {
        int length = 0;
        for (long[] part : parts) {
            length += part.length;
        }
        long[] out = new long[length];
        int at = 0;
        for (long[] part : parts) {
            System.arraycopy(part, 0, out, at, part.length);
            at += part.length;
        }
        return out;
    }

    /** The whole array {@code times} times in a row (a batch of identical rows). */
    private static long[] repeat(long[] values, int times) {
        long[] out = new long[values.length * times];
        for (int i = 0; i < times; i++) {
            System.arraycopy(values, 0, out, i * values.length, values.length);
        }
        return out;
    }

    /** Each value {@code times} times: a {@code [n, times]} table. */
    private static float[] repeatEach(float[] values, int times) {
        float[] out = new float[values.length * times];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i / times];
        }
        return out;
    }

    @Override
    public void close() {
        predictors.close();
    }
}
