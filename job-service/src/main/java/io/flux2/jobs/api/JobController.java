package io.flux2.jobs.api;

import io.flux2.common.problem.ApiProblem;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.safety.SafetyGate;
import io.flux2.jobs.store.JobStore;
import jakarta.validation.Valid;
import java.net.URI;
import java.util.UUID;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** Creating and reading jobs, for the gateway. */
@RestController
@RequestMapping("/internal/jobs")
public class JobController {

    private final JobStore store;
    private final SafetyGate gate;
    private final JobsProperties properties;

    public JobController(JobStore store, SafetyGate gate, JobsProperties properties) {
        this.store = store;
        this.gate = gate;
        this.properties = properties;
    }

    @PostMapping
    public Mono<ResponseEntity<JobView>> create(@Valid @RequestBody CreateJobRequest body) {
        int priority = body.priority() == null ? 0 : body.priority();
        return store.create(body.tenantId(), body.tier(), body.model(), priority, body.request(),
                        properties.maxAttempts(), properties.safety().retryDelay())
                .flatMap(gate::screenNewJob)
                .map(job -> ResponseEntity.created(URI.create("/internal/jobs/" + job.id())).body(JobView.of(job)));
    }

    /** Another tenant's job answers exactly like a missing one, so ids cannot be probed across tenants. */
    @GetMapping("/{id}")
    public Mono<JobView> get(@PathVariable String id, @RequestParam String tenantId) {
        return Mono.justOrEmpty(Ids.parse(id))
                .flatMap(store::find)
                .filter(job -> job.tenantId().equals(tenantId))
                .map(JobView::of)
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Job " + id)));
    }
}
