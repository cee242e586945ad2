package io.flux2.jobs.api;

import io.flux2.common.problem.ApiProblem;
import io.flux2.jobs.JobResult;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.queue.Heartbeat;
import io.flux2.jobs.queue.LeaseLostException;
import io.flux2.jobs.queue.LeaseQueue;
import io.flux2.jobs.queue.LongPoll;
import io.flux2.jobs.safety.SafetyGate;
import jakarta.validation.Valid;
import java.time.Duration;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** The queue's side for inference pods: long-poll for a lease, heartbeat it, complete, fail or cancel it. */
@RestController
@RequestMapping("/internal/leases")
public class LeaseController {

    private static final String DEFAULT_FAILURE = "the inference worker failed without a message";

    private final LongPoll longPoll;
    private final LeaseQueue queue;
    private final SafetyGate gate;
    private final JobsProperties properties;

    public LeaseController(LongPoll longPoll, LeaseQueue queue, SafetyGate gate, JobsProperties properties) {
        this.longPoll = longPoll;
        this.queue = queue;
        this.gate = gate;
        this.properties = properties;
    }

    @PostMapping
    public Mono<ResponseEntity<LeaseView>> lease(@Valid @RequestBody LeaseRequest body) {
        int maxModels = properties.leases().maxModels();
        if (body.models().size() > maxModels) {
            throw ApiProblem.outOfRange("models", maxModels, "A lease request may name at most " + maxModels + " models");
        }
        Duration wait = Duration.ofMillis(body.waitMillis() == null ? 0 : body.waitMillis());
        return longPoll.await(body.workerId(), body.models(), wait)
                .map(job -> ResponseEntity.ok(LeaseView.of(job)))
                .defaultIfEmpty(ResponseEntity.noContent().build());
    }

    @PostMapping("/{leaseId}/heartbeat")
    public Mono<Heartbeat> heartbeat(@PathVariable String leaseId, @Valid @RequestBody HeartbeatRequest body) {
        if (body.step() > body.totalSteps()) {
            throw ApiProblem.outOfRange("step", body.totalSteps(), "step may not exceed totalSteps");
        }
        return queue.heartbeat(lease(leaseId), body.step(), body.totalSteps());
    }

    @PostMapping("/{leaseId}/complete")
    public Mono<ResponseEntity<Void>> complete(@PathVariable String leaseId, @Valid @RequestBody JobResult body) {
        return queue.complete(lease(leaseId), body)
                .doOnNext(completion -> {
                    if (completion.firstTime()) {
                        gate.screenCompletedJob(completion.job());
                    }
                })
                .thenReturn(ResponseEntity.ok().<Void>build());
    }

    @PostMapping("/{leaseId}/fail")
    public Mono<ResponseEntity<Void>> fail(@PathVariable String leaseId, @RequestBody FailRequest body) {
        String message = body.message() == null || body.message().isBlank() ? DEFAULT_FAILURE : body.message();
        return queue.fail(lease(leaseId), message, Boolean.TRUE.equals(body.retryable()))
                .thenReturn(ResponseEntity.ok().<Void>build());
    }

    /** The worker stopped because the job was cancelled; {@code stepsRun} is what gets billed. */
    @PostMapping("/{leaseId}/cancelled")
    public Mono<ResponseEntity<Void>> cancelled(@PathVariable String leaseId,
            @Valid @RequestBody(required = false) CancelledRequest body) {
        return queue.cancelled(lease(leaseId), body == null ? null : body.stepsRun())
                .thenReturn(ResponseEntity.ok().<Void>build());
    }

    /** A lease id that is not even a UUID was never handed out: for the worker that is a lost lease. */
    private static UUID lease(String leaseId) {
        return Ids.parse(leaseId).orElseThrow(() -> new LeaseLostException(leaseId));
    }
}
