package io.flux2.jobs.safety;

import io.flux2.jobs.GenerationRequest;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.assets.AssetClient;
import io.flux2.jobs.assets.AssetMissingException;
import io.flux2.jobs.queue.QueueSignal;
import io.flux2.jobs.store.JobStore;
import io.flux2.jobs.store.PromptVerdict;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The mandatory filter around generation, fail-closed: a job moves past AWAITING_SAFETY or CHECKING_OUTPUT
 * only on a verdict from safety-service. When no verdict can be had, the job keeps its status and the
 * {@link SafetyRetrySweeper} asks again later; nothing here ever lets a job through without one.
 */
@Component
public class SafetyGate {

    private static final Logger log = LoggerFactory.getLogger(SafetyGate.class);

    private final SafetyClient safety;
    private final AssetClient assets;
    private final GateTransitions transitions;
    private final JobStore store;
    private final QueueSignal signal;
    private final JobsProperties.Safety settings;

    public SafetyGate(SafetyClient safety, AssetClient assets, GateTransitions transitions, JobStore store,
            QueueSignal signal, JobsProperties properties) {
        this.safety = safety;
        this.assets = assets;
        this.transitions = transitions;
        this.store = store;
        this.signal = signal;
        this.settings = properties.safety();
    }

    /**
     * The prompt checks of new jobs. Jobs with only a prompt are asked about in one call and settled in one
     * statement; a job with references (each image is checked too) or without a prompt goes alone.
     */
    public Mono<Void> screenNewJobs(List<Job> jobs) {
        List<Job> together = jobs.stream().filter(SafetyGate::promptOnly).toList();
        Mono<Void> alone = Flux.fromIterable(jobs).filter(job -> !promptOnly(job)).flatMap(this::screenPrompt).then();
        return Mono.when(alone, together.isEmpty() ? Mono.empty() : screenPrompts(together));
    }

    private static boolean promptOnly(Job job) {
        return promptOnly(job.request());
    }

    /** Whether a new job's check is its prompt alone, so it can be had before the job is stored. */
    public static boolean promptOnly(GenerationRequest request) {
        return request.prompt() != null && (request.references() == null || request.references().isEmpty());
    }

    /**
     * The prompts of jobs about to be created, asked about in one call (in parts of at most the prompt batch
     * size), so a job whose prompt needs nothing else is stored already past its check. Jobs with references
     * come back as they went, as do all of them when safety-service gives no answer within the configured
     * wait: those are stored AWAITING_SAFETY and checked afterwards, so a create never fails for want of a
     * verdict and never gets past the filter without one.
     */
    public Mono<List<JobStore.Pending>> checkBeforeCreate(List<JobStore.Pending> jobs) {
        List<JobStore.Pending> asked = jobs.stream().filter(p -> promptOnly(p.job().request())).toList();
        if (asked.isEmpty()) {
            return Mono.just(jobs);
        }
        return Flux.fromIterable(asked)
                .buffer(settings.promptBatchSize())
                .concatMap(part -> safety.checkPrompts(part.stream()
                        .map(p -> promptCheck(p.id(), p.job().request(), p.job().tier()))
                        .toList()))
                .collectList()
                .timeout(settings.checkBeforeCreateWait())
                .map(parts -> {
                    Map<UUID, Decision> decisions = new HashMap<>();
                    List<Decision> all = parts.stream().flatMap(List::stream).toList();
                    for (int i = 0; i < asked.size(); i++) {
                        decisions.put(asked.get(i).id(), all.get(i));
                    }
                    return jobs.stream().map(p -> {
                        Decision d = decisions.get(p.id());
                        return d == null ? p : p.withVerdict(new PromptVerdict(d.flagged(), d.decisionId(),
                                d.policyVersion(), d.reasons()));
                    }).toList();
                })
                .onErrorResume(e -> {
                    log.warn("No verdict on the prompts of {} new jobs before storing them; they are stored "
                            + "AWAITING_SAFETY and checked afterwards: {}", asked.size(), e.toString());
                    return Mono.just(jobs);
                });
    }

    private Mono<Void> screenPrompts(List<Job> jobs) {
        List<SafetyClient.PromptCheck> checks = jobs.stream()
                .map(job -> promptCheck(job.id(), job.request(), job.tier()))
                .toList();
        return safety.checkPrompts(checks)
                .flatMap(decisions -> {
                    List<Job> passed = new ArrayList<>();
                    List<Decision> passes = new ArrayList<>();
                    List<Mono<Job>> moderated = new ArrayList<>();
                    for (int i = 0; i < jobs.size(); i++) {
                        if (decisions.get(i).flagged()) {
                            moderated.add(transitions.requestModerated(jobs.get(i), decisions.get(i)));
                        } else {
                            passed.add(jobs.get(i));
                            passes.add(decisions.get(i));
                        }
                    }
                    Mono<Void> queued = passed.isEmpty() ? Mono.empty()
                            : transitions.promptsPassed(passed, passes).map(Job::model).distinct()
                                    .doOnNext(signal::queued).then();
                    return Mono.when(queued, Flux.concat(moderated).then());
                })
                .onErrorResume(e -> Flux.fromIterable(jobs).concatMap(job -> undecided(job, "prompt check", e)).then());
    }

    /** Starts the output check of a job that just completed, without waiting for it. */
    public void screenCompletedJob(Job job) {
        screenOutput(job).subscribe(done -> { }, e -> log.warn("Output check of job {} failed", job.id(), e));
    }

    /** Runs whatever safety step the job still owes; used by the sweeper. */
    public Mono<Job> resume(Job job) {
        return switch (job.status()) {
            case AWAITING_SAFETY -> screenPrompt(job);
            case CHECKING_OUTPUT -> screenOutput(job);
            case CONTENT_MODERATED -> deleteModeratedOutput(job);
            default -> Mono.just(job);
        };
    }

    /** The prompt, then each reference image in order; the first flagged one moderates the request. */
    Mono<Job> screenPrompt(Job job) {
        return safety.checkPrompt(subject(job), job.request().prompt(), tolerance(job), job.tier())
                .flatMap(decision -> decision.flagged() ? Mono.just(decision) : screenReferences(job, decision))
                .flatMap(decision -> decision.flagged()
                        ? transitions.requestModerated(job, decision)
                        : transitions.promptPassed(job, decision).doOnNext(queued -> signal.queued(queued.model())))
                .switchIfEmpty(Mono.defer(() -> store.find(job.id())))
                .onErrorResume(e -> undecided(job, "prompt check", e));
    }

    private Mono<Decision> screenReferences(Job job, Decision promptDecision) {
        List<String> references = job.request().references() == null ? List.of() : job.request().references();
        return Flux.fromIterable(references)
                .concatMap(assetId -> assets.content(assetId).flatMap(image -> safety.checkImage(subject(job),
                        tolerance(job), job.tier(), SafetyClient.ImagePurpose.REFERENCE, image)))
                .filter(Decision::flagged)
                .next()
                .defaultIfEmpty(promptDecision);
    }

    Mono<Job> screenOutput(Job job) {
        return assets.content(job.result().assetId())
                .flatMap(image -> safety.checkImage(subject(job), tolerance(job), job.tier(),
                        SafetyClient.ImagePurpose.OUTPUT, image))
                .flatMap(decision -> decision.flagged()
                        ? transitions.contentModerated(job, decision).flatMap(this::deleteModeratedOutput)
                        : transitions.outputPassed(job, decision))
                .switchIfEmpty(Mono.defer(() -> store.find(job.id())))
                .onErrorResume(e -> undecided(job, "output check", e));
    }

    /** A moderated output must not stay downloadable; the job keeps owing this step until it is done. */
    Mono<Job> deleteModeratedOutput(Job job) {
        if (job.result() == null) {
            return Mono.just(job);
        }
        return assets.delete(job.result().assetId())
                .then(Mono.defer(() -> transitions.outputDeleted(job)))
                .defaultIfEmpty(job)
                .onErrorResume(e -> {
                    log.warn("Could not delete moderated output {} of job {} yet; retrying in {}: {}",
                            job.result().assetId(), job.id(), settings.retryDelay(), e.toString());
                    return Mono.just(job);
                });
    }

    /**
     * No verdict. A refusal of our question (4xx) or a missing image will not change by asking again, so the
     * job fails; anything else (down, timeout, 5xx, open breaker) leaves it waiting for the sweeper.
     */
    private Mono<Job> undecided(Job job, String step, Throwable error) {
        if (error instanceof AssetMissingException missing) {
            log.warn("An image of job {} does not exist; the job fails: {}", job.id(), missing.getMessage());
            return transitions.failed(job, "the " + step + " failed: " + missing.getMessage())
                    .defaultIfEmpty(job);
        }
        if (error instanceof WebClientResponseException response && response.getStatusCode().is4xxClientError()) {
            log.error("safety-service refused the {} of job {}: {} {}", step, job.id(), response.getStatusCode(),
                    response.getResponseBodyAsString());
            return transitions.failed(job, "the safety " + step + " was refused (" + response.getStatusCode().value()
                    + ")").defaultIfEmpty(job);
        }
        log.warn("No verdict for the {} of job {}; it stays {} and is retried in {}: {}", step, job.id(),
                job.status(), settings.retryDelay(), error.toString());
        return Mono.just(job);
    }

    private SafetyClient.PromptCheck promptCheck(UUID jobId, GenerationRequest request, String tier) {
        return new SafetyClient.PromptCheck(subject(jobId), request.prompt(), tolerance(request), tier);
    }

    private static String subject(Job job) {
        return subject(job.id());
    }

    private static String subject(UUID jobId) {
        return "job:" + jobId;
    }

    private int tolerance(Job job) {
        return tolerance(job.request());
    }

    private int tolerance(GenerationRequest request) {
        Integer requested = request.safetyTolerance();
        return requested == null ? settings.defaultTolerance() : requested;
    }
}
