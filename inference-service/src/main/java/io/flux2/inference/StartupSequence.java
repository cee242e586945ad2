package io.flux2.inference;

import io.flux2.inference.model.DeviceNames;
import io.flux2.inference.model.ModelPackageLoader;
import io.flux2.inference.model.ModelRegistry;
import io.flux2.inference.pipeline.PipelineFactory;
import io.flux2.inference.worker.WorkerPool;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.ApplicationArguments;
import org.springframework.boot.ApplicationRunner;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.ReadinessState;
import org.springframework.context.ApplicationEventPublisher;

/**
 * Load, warm up, then take traffic. Runs after the web server is up, so liveness answers during a long
 * load, while readiness stays refused until the last warm-up generation is done. A package that fails to
 * load (a checksum mismatch, a graph libtorch rejects) stops the service: it must not run half-equipped.
 */
final class StartupSequence implements ApplicationRunner {

    private static final Logger log = LoggerFactory.getLogger(StartupSequence.class);

    private final InferenceProperties properties;
    private final ModelRegistry registry;
    private final PipelineFactory pipelines;
    private final ObjectProvider<WorkerPool> workers;
    private final ApplicationEventPublisher events;

    StartupSequence(InferenceProperties properties, ModelRegistry registry, PipelineFactory pipelines,
            ObjectProvider<WorkerPool> workers, ApplicationEventPublisher events) {
        this.properties = properties;
        this.registry = registry;
        this.pipelines = pipelines;
        this.workers = workers;
        this.events = events;
    }

    @Override
    public void run(ApplicationArguments args) {
        AvailabilityChangeEvent.publish(events, this, ReadinessState.REFUSING_TRAFFIC);
        Map<String, Path> folders = new LinkedHashMap<>();
        properties.packages().forEach((name, folder) -> folders.put(name, Path.of(folder)));
        long start = System.nanoTime();
        registry.loadAll(folders, DeviceNames.parse(properties.device()),
                new ModelPackageLoader(properties.verifyChecksums()));
        log.info("Loaded {} model package(s) in {} ms", folders.size(), (System.nanoTime() - start) / 1_000_000);
        if (properties.warmup().enabled()) {
            Warmup warmup = new Warmup(pipelines, properties.warmup());
            registry.all().forEach(warmup::run);
        }
        AvailabilityChangeEvent.publish(events, this, ReadinessState.ACCEPTING_TRAFFIC);
        if (properties.worker().enabled()) {
            workers.getObject().start();
        } else {
            log.info("Worker disabled (flux.inference.worker.enabled=false): not pulling jobs");
        }
    }
}
