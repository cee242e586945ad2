package io.flux2.inference.worker;

import io.flux2.inference.model.ModelRegistry;
import io.flux2.inference.pipeline.Flux2Pipeline;
import io.flux2.inference.pipeline.PipelineFactory;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One worker thread's loop: long-poll job-service for a lease, run it, repeat. The thread owns its pipelines
 * (and so its DJL predictors) and closes them when it ends.
 */
final class InferenceWorker implements Runnable {

    private static final Logger log = LoggerFactory.getLogger(InferenceWorker.class);

    private final String workerId;
    private final ModelRegistry models;
    private final PipelineFactory pipelineFactory;
    private final JobServiceClient jobs;
    private final LeaseExecutor executor;
    private final Duration leaseWait;
    private final Backoff backoff;
    /** Apart from the poll's backoff: polls succeed while uploads may keep failing. */
    private final Backoff failureBackoff;
    private final Map<String, Flux2Pipeline> pipelines = new HashMap<>();

    private volatile boolean stopping;
    private volatile boolean polling;
    private volatile boolean sleeping;
    private volatile Thread thread;

    InferenceWorker(String workerId, ModelRegistry models, PipelineFactory pipelineFactory, JobServiceClient jobs,
            LeaseExecutor executor, Duration leaseWait, Backoff backoff) {
        this.workerId = workerId;
        this.models = models;
        this.pipelineFactory = pipelineFactory;
        this.jobs = jobs;
        this.executor = executor;
        this.leaseWait = leaseWait;
        this.backoff = backoff;
        this.failureBackoff = backoff.copy();
    }

    String workerId() {
        return workerId;
    }

    @Override
    public void run() {
        thread = Thread.currentThread();
        log.info("Worker {} polling job-service for {}", workerId, models.names());
        try {
            while (!stopping) {
                Optional<Lease> lease = poll();
                if (lease.isPresent() && !stopping) {
                    LeaseExecutor.Outcome outcome = executor.run(lease.get(), this::pipelineFor, () -> stopping);
                    if (outcome == LeaseExecutor.Outcome.FAILED && !stopping) {
                        // Often an unreachable asset-service: don't burn through the queue failing job after job.
                        sleep(failureBackoff.nextDelay());
                    } else if (outcome == LeaseExecutor.Outcome.DONE) {
                        failureBackoff.reset();
                    }
                } else if (lease.isPresent()) {
                    // Leased just as we were stopping: hand it straight back.
                    executor.run(lease.get(), name -> null, () -> true);
                }
            }
        } finally {
            pipelines.values().forEach(Flux2Pipeline::close);
            pipelines.clear();
            log.info("Worker {} stopped", workerId);
        }
    }

    private Optional<Lease> poll() {
        List<String> names = models.names();
        polling = true;
        try {
            Optional<Lease> lease = jobs.lease(workerId, names, leaseWait);
            backoff.reset();
            return lease;
        } catch (RuntimeException e) {
            if (stopping) {
                return Optional.empty();
            }
            Duration delay = backoff.nextDelay();
            log.warn("Worker {}: asking job-service for work failed ({}); retrying in {} ms", workerId,
                    e.toString(), delay.toMillis());
            sleep(delay);
            return Optional.empty();
        } finally {
            polling = false;
            // An interrupt meant for an idle poll must not hit the generation or the next HTTP call.
            Thread.interrupted();
        }
    }

    private Flux2Pipeline pipelineFor(String model) {
        return pipelines.computeIfAbsent(model,
                name -> models.find(name).map(pipelineFactory::create).orElse(null));
    }

    private void sleep(Duration delay) {
        sleeping = true;
        try {
            if (!stopping) {
                Thread.sleep(delay.toMillis());
            }
        } catch (InterruptedException e) {
            // woken for shutdown; the loop checks the flag
        } finally {
            sleeping = false;
            Thread.interrupted();
        }
    }

    /** Stops after the current step or poll; an idle long-poll or a backoff is interrupted, not waited for. */
    void requestStop() {
        stopping = true;
        Thread running = thread;
        if (running != null && (polling || sleeping)) {
            running.interrupt();
        }
    }
}
