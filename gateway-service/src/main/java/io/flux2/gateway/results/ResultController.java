package io.flux2.gateway.results;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyAuthenticator;
import io.flux2.gateway.upstream.JobServiceClient;
import java.util.regex.Pattern;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/**
 * {@code GET /v1/get_result?id=}: BFL's poll. Unknown, expired, malformed and other tenants' ids all answer
 * 200 {@code Task not found}, as BFL does, so an id reveals nothing about jobs the caller does not own.
 */
@RestController
public class ResultController {

    /** Ids are job-service's business; this only keeps junk (and path tricks) from reaching it. */
    public static final Pattern PLAUSIBLE_ID = Pattern.compile("[A-Za-z0-9_-]{1,128}");

    private final ApiKeyAuthenticator authenticator;
    private final JobServiceClient jobs;
    private final JobStatusMapper mapper;

    ResultController(ApiKeyAuthenticator authenticator, JobServiceClient jobs, JobStatusMapper mapper) {
        this.authenticator = authenticator;
        this.jobs = jobs;
        this.mapper = mapper;
    }

    @GetMapping("/v1/get_result")
    Mono<BflResult> getResult(@RequestParam(required = false) String id, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> {
            if (id == null || id.isBlank()) {
                return Mono.error(ApiProblem.invalidField("id", "id is required"));
            }
            if (!PLAUSIBLE_ID.matcher(id).matches()) {
                return Mono.just(BflResult.notFound(id));
            }
            return jobs.find(id, caller.tenantId())
                    // job-service filters by tenant already; this guards against a contract slip leaking a job.
                    .filter(job -> job.tenantId() == null || caller.tenantId().equals(job.tenantId()))
                    .flatMap(mapper::toResult)
                    .defaultIfEmpty(BflResult.notFound(id));
        });
    }
}
