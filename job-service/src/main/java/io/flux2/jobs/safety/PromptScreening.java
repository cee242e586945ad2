package io.flux2.jobs.safety;

import io.flux2.common.batch.GatheredBatches;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobsProperties;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

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

    private final GatheredBatches<Job> checks;

    public PromptScreening(SafetyGate gate, JobsProperties properties) {
        this.checks = new GatheredBatches<>(properties.safety().promptBatchSize(), properties.safety().promptBatches(),
                batch -> gate.screenNewJobs(batch).onErrorResume(e -> {
                    log.warn("Prompt checks of {} new jobs failed; the sweeper retries them", batch.size(), e);
                    return Mono.empty();
                }));
    }

    /** Queues the prompt check of a job just stored in AWAITING_SAFETY. */
    public void screen(Job job) {
        checks.add(job);
    }
}
