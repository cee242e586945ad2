package io.flux2.inference.worker;

import io.flux2.inference.model.ModelManifest;
import io.flux2.inference.output.EncodedImage;
import io.flux2.inference.output.ImageEncoder;
import io.flux2.inference.output.OutputFormat;
import io.flux2.inference.output.PixelConverter;
import io.flux2.inference.pipeline.DecodedImage;
import io.flux2.inference.pipeline.Flux2Pipeline;
import io.flux2.inference.pipeline.GenerationCancelledException;
import io.flux2.inference.pipeline.GenerationRequest;
import io.flux2.inference.pipeline.InvalidGenerationException;
import io.flux2.inference.pipeline.StepListener;
import io.flux2.inference.pipeline.ReferenceImage;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.BooleanSupplier;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one lease to its end: generate with a heartbeat after every step, encode, upload, complete; or fail
 * with a message saying whether another attempt could succeed.
 */
class LeaseExecutor {

    private static final Logger log = LoggerFactory.getLogger(LeaseExecutor.class);
    /** Seeds drawn for requests without one stay below 2^31, as in FLUX.2's CLI and the BFL API. */
    private static final long SEED_BOUND = 1L << 31;

    private final JobServiceClient jobs;
    private final AssetServiceClient assets;
    private final ImageEncoder encoder;

    LeaseExecutor(JobServiceClient jobs, AssetServiceClient assets, ImageEncoder encoder) {
        this.jobs = jobs;
        this.assets = assets;
        this.encoder = encoder;
    }

    /**
     * @param pipelines the calling thread's pipeline for a model name, or null when it has none
     * @param stopping  true once the service is shutting down
     */
    Outcome run(Lease lease, Function<String, Flux2Pipeline> pipelines, BooleanSupplier stopping) {
        String leaseId = lease.leaseId();
        try {
            Flux2Pipeline pipeline = pipelines.apply(lease.model());
            if (pipeline == null) {
                fail(leaseId, "Model '" + lease.model() + "' is not loaded on this worker", true);
                return Outcome.FAILED;
            }
            if (lease.request() == null) {
                fail(leaseId, "The lease carries no generation request", false);
                return Outcome.REJECTED;
            }
            OutputFormat format;
            try {
                format = OutputFormat.parse(lease.request().outputFormat());
            } catch (IllegalArgumentException e) {
                fail(leaseId, e.getMessage(), false);
                return Outcome.REJECTED;
            }
            JobRequest job = lease.request();
            // The count first: eleven references are refused before a single one is fetched.
            pipeline.limits().checkReferenceCount(job.references().size());
            GenerationRequest request = toRequest(job, pipeline.modelPackage().manifest(), fetchReferences(job));
            pipeline.check(request);
            CancelWatch watch = new CancelWatch(leaseId, stopping);
            long start = System.nanoTime();
            DecodedImage decoded = pipeline.generate(request, watch);
            EncodedImage image = encoder.encodePng(PixelConverter.toRgb(decoded), lease.model());
            watch.renewBeforeUpload();
            LeaseMessages.Asset stored = assets.uploadOutput(lease.tenantId(), lease.jobId(), image, format,
                    lease.model());
            String assetId = stored.id();
            complete(lease, new LeaseMessages.Completion(assetId, request.seed(), image.width(),
                    image.height(), stored.contentType() == null ? format.contentType() : stored.contentType()));
            log.info("Job {} done: {}x{} {} steps, {} reference(s) in {} ms, asset {}", lease.jobId(),
                    decoded.width(), decoded.height(), request.steps(), request.references().size(),
                    (System.nanoTime() - start) / 1_000_000, assetId);
            return Outcome.DONE;
        } catch (LeaseLostException e) {
            log.warn("Job {}: {}; dropping the work", lease.jobId(), e.getMessage());
            return Outcome.LOST;
        } catch (GenerationCancelledException e) {
            if (stopping.getAsBoolean()) {
                fail(leaseId, "The worker shut down during the generation", true);
            } else {
                log.info("Job {} cancelled by job-service after {} steps", lease.jobId(), e.completedSteps());
                // job-service asked for it; the report releases the lease at once and bills the steps run.
                reportCancelled(leaseId, e.completedSteps());
            }
            return Outcome.CANCELLED;
        } catch (InvalidGenerationException e) {
            // Bad input: the same request would fail again anywhere.
            fail(leaseId, e.getMessage(), false);
            return Outcome.REJECTED;
        } catch (RuntimeException e) {
            log.error("Job {} failed", lease.jobId(), e);
            fail(leaseId, "Generation failed: " + e.getMessage(), true);
            return Outcome.FAILED;
        } catch (Error e) {
            // The JVM may be past saving (out of memory, a broken native library): the job goes back to the queue
            // at once for another worker, and this thread ends, which marks the service broken (WorkerPool).
            fail(leaseId, "The worker failed: " + e, true);
            throw e;
        }
    }

    /** Completes the lease; when it was lost meanwhile, the output stored for it goes, as nobody will fetch it. */
    private void complete(Lease lease, LeaseMessages.Completion completion) {
        try {
            jobs.complete(lease.leaseId(), completion);
        } catch (LeaseLostException e) {
            try {
                assets.delete(completion.assetId());
            } catch (RuntimeException deleteFailed) {
                log.warn("Job {}: could not delete output {} of the lost lease (the retention sweep will): {}",
                        lease.jobId(), completion.assetId(), deleteFailed.toString());
            }
            throw e;
        }
    }

    /** How a lease ended; FAILED may mean asset-service or job-service is unwell, so the worker backs off. */
    enum Outcome { DONE, REJECTED, CANCELLED, LOST, FAILED }

    /**
     * Fills the package's defaults (model.json) into what the request leaves out. Width and height: the request's,
     * else with references the last reference's processed size (left null for the pipeline), else the package's.
     */
    static GenerationRequest toRequest(JobRequest job, ModelManifest manifest, List<ReferenceImage> references) {
        ModelManifest.Defaults defaults = manifest.defaults();
        boolean fromReference = !references.isEmpty() && job.width() == null && job.height() == null;
        return new GenerationRequest(
                job.prompt(),
                job.width() != null ? job.width() : fromReference ? null : defaults.width(),
                job.height() != null ? job.height() : fromReference ? null : defaults.height(),
                job.steps() != null ? job.steps() : defaults.steps(),
                job.guidance() != null ? job.guidance() : defaults.guidance(),
                job.seed() != null ? job.seed() : ThreadLocalRandom.current().nextLong(SEED_BOUND),
                references);
    }

    /** Fetches and decodes every reference; a missing asset or bytes that are no image are bad input. */
    private List<ReferenceImage> fetchReferences(JobRequest job) {
        List<ReferenceImage> images = new ArrayList<>(job.references().size());
        for (int i = 0; i < job.references().size(); i++) {
            String assetId = job.references().get(i);
            if (assetId == null || assetId.isBlank()) {
                throw new InvalidGenerationException("references", "reference " + i + " has no asset id");
            }
            byte[] bytes;
            try {
                bytes = assets.content(assetId);
            } catch (AssetServiceClient.ReferenceNotFoundException e) {
                throw new InvalidGenerationException("references", "reference " + i + ": " + e.getMessage());
            }
            try {
                images.add(ReferenceImage.decode(bytes));
            } catch (IllegalArgumentException e) {
                throw new InvalidGenerationException("references", "reference " + i + " (asset " + assetId + ") is "
                        + e.getMessage());
            }
        }
        return images;
    }

    private void reportCancelled(String leaseId, int stepsRun) {
        Thread.interrupted();
        try {
            jobs.cancelled(leaseId, new LeaseMessages.Cancelled(stepsRun));
        } catch (LeaseLostException e) {
            log.debug("Lease {} already gone when reporting the cancel", leaseId);
        } catch (RuntimeException e) {
            log.warn("Could not report the cancel of lease {}: {}", leaseId, e.toString());
        }
    }

    private void fail(String leaseId, String message, boolean retryable) {
        // A shutdown interrupt aimed at an idle poll must not also swallow this last report.
        Thread.interrupted();
        try {
            jobs.fail(leaseId, new LeaseMessages.Failure(message, retryable));
        } catch (LeaseLostException e) {
            log.debug("Lease {} already gone when reporting failure", leaseId);
        } catch (RuntimeException e) {
            log.warn("Could not report failure of lease {}: {}", leaseId, e.toString());
        }
    }

    /** Sends the heartbeat after every step and turns job-service's cancel or a shutdown into a stop. */
    private final class CancelWatch implements StepListener {

        private final String leaseId;
        private final BooleanSupplier stopping;

        private int lastStep;
        private int totalSteps = 1;

        CancelWatch(String leaseId, BooleanSupplier stopping) {
            this.leaseId = leaseId;
            this.stopping = stopping;
        }

        /**
         * The last step's heartbeat may be most of a lease ago (the VAE decode, the encode): renewed here, the
         * lease covers the upload, and a lease already lost is known before anything is stored. A cancel that
         * arrives now comes too late to save any GPU work, so the image is delivered.
         */
        void renewBeforeUpload() {
            try {
                jobs.heartbeat(leaseId, lastStep, totalSteps);
            } catch (LeaseLostException e) {
                throw e;
            } catch (RuntimeException e) {
                log.warn("Heartbeat for lease {} before the upload failed: {}", leaseId, e.toString());
            }
        }

        @Override
        public boolean afterStep(int step, int totalSteps) {
            this.lastStep = step;
            this.totalSteps = totalSteps;
            boolean cancel;
            try {
                cancel = jobs.heartbeat(leaseId, step, totalSteps);
            } catch (LeaseLostException e) {
                throw e;
            } catch (RuntimeException e) {
                // A missed heartbeat is not fatal: the lease outlives a few, and complete will say if it lapsed.
                log.warn("Heartbeat for lease {} failed: {}", leaseId, e.toString());
                cancel = false;
            }
            return !cancel && !stopping.getAsBoolean();
        }
    }
}
