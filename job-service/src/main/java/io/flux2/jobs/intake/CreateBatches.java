package io.flux2.jobs.intake;

import io.flux2.common.batch.GatheredBatches;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobStatus;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.queue.QueueSignal;
import io.flux2.jobs.safety.PromptScreening;
import io.flux2.jobs.safety.SafetyGate;
import io.flux2.jobs.store.JobStore;
import io.flux2.jobs.store.NewJob;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Function;
import java.util.stream.Collectors;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;

/**
 * Creates without an Idempotency-Key that arrive while earlier ones are being written go together: one call
 * to safety-service for their prompts ({@link SafetyGate#checkBeforeCreate}), then one statement and one
 * commit ({@link JobStore#createAll}); alone they go at once. A batch that fails to be written is retried job
 * by job with the verdicts it already has, so one job the database refuses does not take the others with it.
 */
final class CreateBatches {

    private record Waiting(JobStore.Pending pending, MonoSink<Job> answer) {
    }

    private final JobStore store;
    private final SafetyGate gate;
    private final QueueSignal signal;
    private final PromptScreening screening;
    private final JobsProperties properties;
    private final GatheredBatches<Waiting> batches;

    CreateBatches(JobStore store, SafetyGate gate, QueueSignal signal, PromptScreening screening,
            JobsProperties properties) {
        this.store = store;
        this.gate = gate;
        this.signal = signal;
        this.screening = screening;
        this.properties = properties;
        this.batches = new GatheredBatches<>(properties.intake().batchSize(), properties.intake().batches(),
                this::check);
    }

    /** The created job, or empty when the key's active-job limit is reached. */
    Mono<Job> create(NewJob job, Integer activeJobLimit) {
        return Mono.create(answer -> batches.add(
                new Waiting(new JobStore.Pending(UUID.randomUUID(), job, activeJobLimit, null), answer)));
    }

    private Mono<Void> check(List<Waiting> batch) {
        return gate.checkBeforeCreate(batch.stream().map(Waiting::pending).toList())
                .flatMap(checked -> {
                    List<Waiting> ready = new ArrayList<>(batch.size());
                    for (int i = 0; i < batch.size(); i++) {
                        ready.add(new Waiting(checked.get(i), batch.get(i).answer()));
                    }
                    return write(ready);
                });
    }

    private Mono<Void> write(List<Waiting> batch) {
        return store.createAll(batch.stream().map(Waiting::pending).toList(), properties.maxAttempts(),
                        properties.safety().retryDelay())
                .collect(Collectors.toMap(Job::id, Function.identity()))
                .doOnNext(created -> {
                    created.values().stream().filter(job -> job.status() == JobStatus.QUEUED).map(Job::model)
                            .distinct().forEach(signal::queued);
                    // A prompt asked about above without an answer is not asked again at once: the sweeper
                    // tries it when its check falls due. Only checks not yet tried (references) start now.
                    created.values().stream()
                            .filter(job -> job.status() == JobStatus.AWAITING_SAFETY
                                    && !SafetyGate.promptOnly(job.request()))
                            .forEach(screening::screen);
                    answer(batch, created);
                })
                .then()
                .onErrorResume(e -> batch.size() == 1 ? Mono.fromRunnable(() -> batch.get(0).answer().error(e))
                        : Flux.fromIterable(batch).flatMap(one -> write(List.of(one))).then());
    }

    private static void answer(List<Waiting> batch, Map<UUID, Job> created) {
        for (Waiting w : batch) {
            w.answer().success(created.get(w.pending().id()));
        }
    }
}
