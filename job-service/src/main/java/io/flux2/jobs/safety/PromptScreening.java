package io.flux2.jobs.safety;

import io.flux2.jobs.Job;
import io.flux2.jobs.JobsProperties;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Checks the prompts of new jobs right after they are stored, so a create is answered without waiting for
 * safety-service. A check starts at once when fewer than the configured batches are in flight; otherwise the
 * jobs created meanwhile wait and go together in the next batch, so under load one call and one statement
 * settle many jobs. Nothing here is durable and nothing needs to be: each job is stored AWAITING_SAFETY with
 * a check due, and the {@link SafetyRetrySweeper} makes any check this replica did not finish.
 */
@Component
public class PromptScreening {

    private static final Logger log = LoggerFactory.getLogger(PromptScreening.class);

    private final SafetyGate gate;
    private final int batchSize;
    private final int maxBatches;
    private final Queue<Job> waiting = new ConcurrentLinkedQueue<>();
    private final AtomicInteger inFlight = new AtomicInteger();

    public PromptScreening(SafetyGate gate, JobsProperties properties) {
        this.gate = gate;
        this.batchSize = properties.safety().promptBatchSize();
        this.maxBatches = properties.safety().promptBatches();
    }

    /** Queues the prompt check of a job just stored in AWAITING_SAFETY. */
    public void screen(Job job) {
        waiting.add(job);
        drain();
    }

    private void drain() {
        while (!waiting.isEmpty()) {
            int running = inFlight.get();
            if (running >= maxBatches) {
                // The batch in flight drains again when it ends.
                return;
            }
            if (!inFlight.compareAndSet(running, running + 1)) {
                continue;
            }
            List<Job> batch = new ArrayList<>();
            for (Job next; batch.size() < batchSize && (next = waiting.poll()) != null; ) {
                batch.add(next);
            }
            if (batch.isEmpty()) {
                inFlight.decrementAndGet();
                continue;
            }
            gate.screenNewJobs(batch)
                    .doFinally(signal -> {
                        inFlight.decrementAndGet();
                        drain();
                    })
                    .subscribe(done -> { }, e -> log.warn("Prompt checks of {} new jobs failed; the sweeper retries them",
                            batch.size(), e));
        }
    }
}
