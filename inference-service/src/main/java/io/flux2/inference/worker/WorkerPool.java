package io.flux2.inference.worker;

import io.flux2.common.client.ServiceClients;
import io.flux2.inference.InferenceProperties;
import io.flux2.inference.model.ModelRegistry;
import io.flux2.inference.output.ImageEncoder;
import io.flux2.inference.pipeline.PipelineFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.availability.AvailabilityChangeEvent;
import org.springframework.boot.availability.LivenessState;
import org.springframework.context.ApplicationEventPublisher;

/**
 * The configured number of worker threads. Started once the models are loaded and warm; stopped on shutdown,
 * where a running generation stops at its next step and hands its lease back as retryable.
 */
public class WorkerPool implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(WorkerPool.class);
    private static final Duration JOIN_TIMEOUT = Duration.ofSeconds(30);

    private final InferenceProperties.Worker settings;
    private final ModelRegistry models;
    private final PipelineFactory pipelineFactory;
    private final JobServiceClient jobs;
    private final LeaseExecutor executor;
    private final List<InferenceWorker> workers = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final ApplicationEventPublisher events;

    public WorkerPool(InferenceProperties.Worker settings, ModelRegistry models, PipelineFactory pipelineFactory,
            ServiceClients clients, ImageEncoder encoder, ApplicationEventPublisher events) {
        this.events = events;
        this.settings = settings;
        this.models = models;
        this.pipelineFactory = pipelineFactory;
        this.jobs = new JobServiceClient(clients.forService("job-service"),
                settings.leaseWait().plus(settings.leaseWaitSlack()));
        this.executor = new LeaseExecutor(jobs, new AssetServiceClient(clients.forService("asset-service")), encoder);
    }

    public synchronized void start() {
        if (!threads.isEmpty()) {
            return;
        }
        for (int i = 0; i < settings.threads(); i++) {
            InferenceWorker worker = new InferenceWorker(settings.id() + "-" + i, models, pipelineFactory, jobs,
                    executor, settings.leaseWait(), new Backoff(settings.backoffMin(), settings.backoffMax()));
            Thread thread = new Thread(worker, "inference-worker-" + i);
            // A worker that dies takes no more work, though the pod would still look alive: report it broken, so
            // the liveness probe fails and Kubernetes restarts it.
            thread.setUncaughtExceptionHandler((dead, error) -> {
                log.error("{} died; reporting the service broken", dead.getName(), error);
                AvailabilityChangeEvent.publish(events, this, LivenessState.BROKEN);
            });
            workers.add(worker);
            threads.add(thread);
            thread.start();
        }
        log.info("Started {} inference worker thread(s)", threads.size());
    }

    public synchronized boolean isRunning() {
        return threads.stream().anyMatch(Thread::isAlive);
    }

    @Override
    public synchronized void close() {
        workers.forEach(InferenceWorker::requestStop);
        long deadline = System.nanoTime() + JOIN_TIMEOUT.toNanos();
        for (Thread thread : threads) {
            try {
                thread.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
            if (thread.isAlive()) {
                log.warn("{} did not stop within {}", thread.getName(), JOIN_TIMEOUT);
            }
        }
        workers.clear();
        threads.clear();
    }
}
