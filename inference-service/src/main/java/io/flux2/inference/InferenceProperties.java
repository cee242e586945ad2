package io.flux2.inference;

import io.flux2.inference.pipeline.GenerationLimits;
import io.flux2.inference.pipeline.ReferenceRules;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Everything inference-service can be told: {@code flux.inference.*}.
 *
 * @param packages        model packages to load, package name to folder; a relative folder is resolved
 *                        against the working directory (the local platform runs from the repository root)
 * @param device          {@code cpu}, {@code cuda:N} (or DJL's own {@code gpuN})
 * @param verifyChecksums check every package file against checksums.sha256 before loading; only switch off
 *                        for huge packages already verified on the same disk
 * @param limits          what the pipeline refuses to run
 * @param warmup          the generations run before the service reports ready
 * @param worker          the threads pulling leases from job-service
 */
@ConfigurationProperties("flux.inference")
public record InferenceProperties(
        Map<String, String> packages,
        String device,
        Boolean verifyChecksums,
        Limits limits,
        Warmup warmup,
        Worker worker) {

    public InferenceProperties {
        packages = packages == null || packages.isEmpty()
                ? Map.of("tiny", "model-tools/packages/tiny")
                : new LinkedHashMap<>(packages);
        device = device == null || device.isBlank() ? "cpu" : device;
        verifyChecksums = verifyChecksums == null || verifyChecksums;
        limits = limits == null ? new Limits(null, null, null, null, null, null, null, null) : limits;
        warmup = warmup == null ? new Warmup(null, null, null) : warmup;
        worker = worker == null ? new Worker(null, null, null, null, null, null, null) : worker;
    }

    /**
     * @param minSide             smallest output width or height in pixels (the BFL API's floor is 64)
     * @param maxSteps            most denoising steps one request may ask for
     * @param maxPixels           largest output width x height; 4194304 = 2048x2048 (BFL's "4 MP")
     * @param maxReferences       most reference images in one request
     * @param referenceMinSide    a reference's shorter side must be at least this (section 6: 64)
     * @param referenceMaxAspect  a reference's longer / shorter side at most this (section 6: 8)
     * @param referenceAreaSingle area cap of a single reference before it is scaled down (section 6: 2024^2)
     * @param referenceAreaMulti  area cap of each reference when there are two or more (section 6: 1024^2)
     */
    public record Limits(Integer minSide, Integer maxSteps, Long maxPixels, Integer maxReferences,
            Integer referenceMinSide, Double referenceMaxAspect, Long referenceAreaSingle, Long referenceAreaMulti) {
        public Limits {
            ReferenceRules flux2 = ReferenceRules.FLUX2;
            minSide = minSide == null ? 64 : minSide;
            maxSteps = maxSteps == null ? 100 : maxSteps;
            maxPixels = maxPixels == null ? GenerationLimits.DEFAULT_MAX_PIXELS : maxPixels;
            maxReferences = maxReferences == null ? 10 : maxReferences;
            referenceMinSide = referenceMinSide == null ? flux2.minSide() : referenceMinSide;
            referenceMaxAspect = referenceMaxAspect == null ? flux2.maxAspect() : referenceMaxAspect;
            referenceAreaSingle = referenceAreaSingle == null ? flux2.areaSingle() : referenceAreaSingle;
            referenceAreaMulti = referenceAreaMulti == null ? flux2.areaMulti() : referenceAreaMulti;
        }

        public GenerationLimits toGenerationLimits() {
            return new GenerationLimits(minSide, maxSteps, maxPixels, maxReferences, new ReferenceRules(
                    referenceMinSide, referenceMaxAspect, referenceAreaSingle, referenceAreaMulti));
        }
    }

    /**
     * @param enabled run warm-up generations before reporting ready
     * @param steps   steps per warm-up generation; two let TorchScript's profiling executor profile and then
     *                optimise the transformer graph for the shape (research/gpu.md)
     * @param sizes   extra {@code WIDTHxHEIGHT} sizes to warm up besides each package's default size
     */
    public record Warmup(Boolean enabled, Integer steps, List<String> sizes) {
        public Warmup {
            enabled = enabled == null || enabled;
            steps = steps == null ? 2 : steps;
            sizes = sizes == null ? List.of() : List.copyOf(sizes);
        }
    }

    /**
     * @param enabled        pull leases from job-service; off to run the pipeline alone
     * @param threads        worker threads, each with its own predictors
     * @param id             worker id prefix sent to job-service; the thread index is appended
     * @param leaseWait      how long one long-poll for a lease may wait at job-service
     * @param leaseWaitSlack extra client timeout on top of {@code leaseWait} before a poll counts as lost
     * @param backoffMin     first wait after a failed call to job-service or asset-service
     * @param backoffMax     longest wait between failed calls (doubling from {@code backoffMin})
     */
    public record Worker(Boolean enabled, Integer threads, String id, Duration leaseWait, Duration leaseWaitSlack,
            Duration backoffMin, Duration backoffMax) {
        public Worker {
            enabled = enabled == null || enabled;
            threads = threads == null ? 1 : threads;
            id = id == null || id.isBlank() ? defaultWorkerId() : id;
            leaseWait = leaseWait == null ? Duration.ofSeconds(20) : leaseWait;
            leaseWaitSlack = leaseWaitSlack == null ? Duration.ofSeconds(10) : leaseWaitSlack;
            backoffMin = backoffMin == null ? Duration.ofMillis(500) : backoffMin;
            backoffMax = backoffMax == null ? Duration.ofSeconds(30) : backoffMax;
        }

        private static String defaultWorkerId() {
            String host = System.getenv("HOSTNAME");
            return "inference-" + (host == null || host.isBlank() ? ProcessHandle.current().pid() : host);
        }
    }
}
