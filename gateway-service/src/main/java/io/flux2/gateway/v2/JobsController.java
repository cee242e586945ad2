package io.flux2.gateway.v2;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyAuthenticator;
import io.flux2.gateway.keys.Caller;
import io.flux2.gateway.results.ResultController;
import io.flux2.gateway.submit.JobSubmitter;
import io.flux2.gateway.submit.RequestHash;
import io.flux2.gateway.submit.SubmitRequestValidator;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierCatalog;
import io.flux2.gateway.upstream.AssetServiceClient;
import io.flux2.gateway.upstream.Job;
import io.flux2.gateway.upstream.JobServiceClient;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code /v2/jobs}: our own JSON API over the same job engine as BFL's {@code /v1}. Unknown body fields are
 * a 422 naming them, every error is an RFC 9457 problem, and a tenant sees only its own jobs (another
 * tenant's id is a 404, exactly like an unknown one).
 */
@RestController
class JobsController {

    private static final String LAST_EVENT_ID = "Last-Event-ID";

    private final ApiKeyAuthenticator authenticator;
    private final TierCatalog tiers;
    private final SubmitRequestValidator validator;
    private final JobSubmitter submitter;
    private final JobServiceClient jobs;
    private final AssetServiceClient assets;
    private final JobWaiter waiter;
    private final V2Properties properties;

    JobsController(ApiKeyAuthenticator authenticator, TierCatalog tiers, SubmitRequestValidator validator,
            JobSubmitter submitter, JobServiceClient jobs, AssetServiceClient assets, JobWaiter waiter,
            V2Properties properties) {
        this.authenticator = authenticator;
        this.tiers = tiers;
        this.validator = validator;
        this.submitter = submitter;
        this.jobs = jobs;
        this.assets = assets;
        this.waiter = waiter;
        this.properties = properties;
    }

    @PostMapping("/v2/jobs")
    Mono<ResponseEntity<JobView>> create(@RequestHeader(name = RequestHash.HEADER, required = false) String idempotencyKey,
            @RequestHeader(name = PreferWait.PREFER, required = false) String prefer,
            @RequestBody(required = false) Mono<JsonNode> body, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> body
                .defaultIfEmpty(JsonNodeFactory.instance.objectNode())
                .flatMap(json -> submit(caller, json, idempotencyKey, "/v2/jobs", prefer)));
    }

    @GetMapping("/v2/jobs/{id}")
    Mono<JobView> get(@PathVariable String id, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> owned(caller, id)).flatMap(this::withUrl);
    }

    @GetMapping("/v2/jobs")
    Mono<Map<String, Object>> list(@RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> {
            int size = limit == null ? properties.defaultPageSize() : limit;
            if (size < 1 || size > properties.maxPageSize()) {
                // The bound it broke: 1 for too few, the configured page size for too many.
                return Mono.error(ApiProblem.outOfRange("limit", size < 1 ? 1 : properties.maxPageSize(),
                        "limit must be between 1 and " + properties.maxPageSize()));
            }
            return jobs.list(caller.tenantId(), size, cursor).map(page -> {
                List<JobView> items = page.items().stream()
                        .filter(job -> job.tenantId() == null || caller.tenantId().equals(job.tenantId()))
                        .map(JobView::of)
                        .toList();
                Map<String, Object> answer = new java.util.LinkedHashMap<>();
                answer.put("items", items);
                answer.put("next_cursor", page.nextCursor());
                return answer;
            });
        });
    }

    @PostMapping("/v2/jobs/{id}/cancel")
    Mono<JobView> cancel(@PathVariable String id, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> owned(caller, id)
                .flatMap(job -> jobs.cancel(job.id(), caller.tenantId()))
                .switchIfEmpty(Mono.error(() -> jobNotFound(id)))
                .map(JobView::of));
    }

    /**
     * The job's events as Server-Sent Events, proxied from job-service: {@code queued} (with position),
     * {@code started}, {@code progress} (step, totalSteps), {@code moderated}, {@code succeeded},
     * {@code failed}, {@code cancelled}. Each carries its sequence number as id, so a client that lost the
     * connection resumes with {@code Last-Event-ID} (or {@code ?after=}); the stream ends after a terminal event.
     */
    @GetMapping("/v2/jobs/{id}/events")
    Mono<ResponseEntity<Flux<ServerSentEvent<String>>>> events(@PathVariable String id,
            @RequestHeader(name = LAST_EVENT_ID, required = false) String lastEventId,
            @RequestParam(required = false) Long after, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> {
            Long from = after;
            if (lastEventId != null && !lastEventId.isBlank()) {
                try {
                    from = Long.parseLong(lastEventId.strip());
                } catch (NumberFormatException e) {
                    return Mono.error(ApiProblem.invalidField(LAST_EVENT_ID, LAST_EVENT_ID
                            + " must be the id of an event this stream sent"));
                }
            }
            Long resumeAfter = from;
            return owned(caller, id).flatMap(job -> {
                Flux<ServerSentEvent<String>> events = jobs.events(job.id(), caller.tenantId(), resumeAfter)
                        .filter(event -> event.data() != null || event.event() != null || event.comment() != null)
                        .map(JobsController::forClient);
                if (!job.terminal() || resumeAfter == null) {
                    return Mono.just(eventStream(events));
                }
                // A finished job's stream is short. Resumed after its last event it is empty, and an empty 200
                // makes a browser's EventSource reconnect every few seconds for ever; 204 tells it to stop.
                return events.collectList().map(rest -> rest.stream().allMatch(e -> e.event() == null)
                        ? ResponseEntity.noContent().<Flux<ServerSentEvent<String>>>build()
                        : eventStream(Flux.fromIterable(rest)));
            });
        });
    }

    private static ResponseEntity<Flux<ServerSentEvent<String>>> eventStream(Flux<ServerSentEvent<String>> events) {
        return ResponseEntity.ok()
                .contentType(MediaType.TEXT_EVENT_STREAM)
                .header(HttpHeaders.CACHE_CONTROL, "no-cache")
                .header("X-Accel-Buffering", "no")
                .body(events);
    }

    /**
     * An event of job-service's stream as the client gets it. job-service's keepalive comments pass on, so a
     * proxy's idle timeout does not cut the stream of a job that waits long in the queue.
     */
    private static ServerSentEvent<String> forClient(ServerSentEvent<String> event) {
        if (event.data() == null && event.event() == null) {
            return ServerSentEvent.<String>builder().comment(event.comment()).build();
        }
        return ServerSentEvent.<String>builder()
                .id(event.id())
                .event(event.event())
                .data(event.data() == null ? "{}" : event.data())
                .build();
    }

    /**
     * A fresh presigned URL of the job's image: 404 for an unknown job or one that ended without an image,
     * 409 while it is unfinished, 410 once the image is past retention.
     */
    @GetMapping("/v2/jobs/{id}/result")
    Mono<Map<String, Object>> result(@PathVariable String id, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> owned(caller, id)).flatMap(job -> {
            if (!job.terminal()) {
                return Mono.error(new ApiProblem(HttpStatus.CONFLICT, "Not finished",
                        "Job " + id + " is " + JobView.status(job.status()) + "; its result is not there yet")
                        .with("status", JobView.status(job.status())));
            }
            if (!"READY".equals(job.status()) || job.result() == null || job.result().assetId() == null) {
                return Mono.error(new ApiProblem(HttpStatus.NOT_FOUND, "No result",
                        "Job " + id + " ended as " + JobView.status(job.status()) + " without an image")
                        .with("status", JobView.status(job.status())));
            }
            return assets.presigned(job.result().assetId())
                    .switchIfEmpty(Mono.error(() -> new ApiProblem(HttpStatus.GONE, "Gone",
                            "The image of job " + id + " is past retention and was deleted")))
                    .map(url -> {
                        Map<String, Object> answer = new java.util.LinkedHashMap<>();
                        answer.put("url", url.url());
                        answer.put("expires_at", url.expiresAt());
                        answer.put("asset_id", job.result().assetId());
                        answer.put("content_type", job.result().contentType());
                        answer.put("width", job.result().width());
                        answer.put("height", job.result().height());
                        answer.put("seed", job.result().seed());
                        answer.values().removeIf(java.util.Objects::isNull);
                        return answer;
                    });
        });
    }

    @GetMapping("/v2/jobs/{id}/recipe")
    Mono<Recipe> recipe(@PathVariable String id, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> owned(caller, id)).map(Recipe::of);
    }

    /**
     * A new job from the recipe of this one, with any {@code /v2/jobs} fields of the body replacing the
     * recipe's. The seed is kept (same image) unless overridden ({@code "seed": null} draws a new one); a
     * different tier drops the recipe's steps and guidance, which belonged to the old tier.
     */
    @PostMapping("/v2/jobs/{id}/replay")
    Mono<ResponseEntity<JobView>> replay(@PathVariable String id,
            @RequestHeader(name = RequestHash.HEADER, required = false) String idempotencyKey,
            @RequestHeader(name = PreferWait.PREFER, required = false) String prefer,
            @RequestBody(required = false) Mono<JsonNode> body, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> owned(caller, id).flatMap(job -> body
                .defaultIfEmpty(JsonNodeFactory.instance.objectNode())
                .flatMap(overrides -> {
                    if (!overrides.isObject()) {
                        return Mono.error(ApiProblem.invalidField("body", "The request body must be a JSON object"));
                    }
                    ObjectNode merged = Recipe.of(job).toJobBody();
                    JsonNode tier = overrides.get("tier");
                    if (tier != null && tier.isString() && !tier.stringValue().equals(job.tier())) {
                        merged.remove(List.of("steps", "guidance"));
                    }
                    overrides.properties().forEach(e -> merged.set(e.getKey(), e.getValue()));
                    return submit(caller, merged, idempotencyKey, "/v2/jobs/" + id + "/replay", prefer);
                })));
    }

    private Mono<ResponseEntity<JobView>> submit(Caller caller, JsonNode json, String idempotencyKey, String scope,
            String prefer) {
        Tier tier = tier(json);
        var valid = validator.validate(json, tier, SubmitRequestValidator.Dialect.V2);
        var idempotency = validator.idempotency(idempotencyKey, scope, json);
        Optional<Duration> wait = PreferWait.parse(prefer, properties.maxWait());
        return submitter.submit(caller, valid, idempotency).flatMap(submitted -> {
            Job created = submitted.created().job();
            Mono<Job> finished = wait.map(max -> waiter.await(created, caller.tenantId(), max)).orElse(Mono.just(created));
            return finished.flatMap(job -> withUrl(job, submitted.quote().inputMp(), submitted.quote().outputMp()))
                    .map(view -> {
                        HttpStatus status;
                        if (wait.isPresent()) {
                            status = isTerminal(view) ? HttpStatus.OK : HttpStatus.ACCEPTED;
                        } else {
                            status = submitted.created().replayed() ? HttpStatus.OK : HttpStatus.CREATED;
                        }
                        var response = ResponseEntity.status(status).location(URI.create("/v2/jobs/" + view.id()));
                        if (submitted.created().replayed()) {
                            response.header(JobServiceClient.REPLAYED_HEADER, "true");
                        }
                        if (idempotency.key() != null) {
                            response.header(RequestHash.HEADER, idempotency.key());
                        }
                        wait.ifPresent(max -> response.header(PreferWait.APPLIED, "wait=" + max.toSeconds()));
                        return response.body(view);
                    });
        });
    }

    private static boolean isTerminal(JobView view) {
        return view.status() != null && Job.TERMINAL.contains(view.status().toUpperCase(java.util.Locale.ROOT));
    }

    private Tier tier(JsonNode json) {
        if (json == null || !json.isObject()) {
            throw ApiProblem.invalidField("body", "The request body must be a JSON object");
        }
        JsonNode name = json.get("tier");
        List<String> names = tiers.all().stream().map(Tier::name).toList();
        if (name == null || name.isNull()) {
            throw ApiProblem.outOfRange("tier", names, "tier is required: one of " + String.join(", ", names));
        }
        if (!name.isString()) {
            throw ApiProblem.invalidField("tier", "tier must be a string");
        }
        return tiers.byName(name.stringValue()).orElseThrow(() -> ApiProblem.outOfRange("tier", names,
                "Unknown tier " + name.stringValue() + "; tiers are " + String.join(", ", names)));
    }

    /** The caller's job, or a 404 that reads the same for unknown ids and other tenants' jobs. */
    private Mono<Job> owned(Caller caller, String id) {
        if (!ResultController.PLAUSIBLE_ID.matcher(id).matches()) {
            return Mono.error(jobNotFound(id));
        }
        return jobs.find(id, caller.tenantId())
                .filter(job -> job.tenantId() == null || caller.tenantId().equals(job.tenantId()))
                .switchIfEmpty(Mono.error(() -> jobNotFound(id)));
    }

    private static ApiProblem jobNotFound(String id) {
        return ApiProblem.notFound("Job " + id);
    }

    private Mono<JobView> withUrl(Job job) {
        return withUrl(job, null, null);
    }

    private Mono<JobView> withUrl(Job job, Double inputMp, Double outputMp) {
        if (!"READY".equals(job.status()) || job.result() == null || job.result().assetId() == null) {
            return Mono.just(JobView.of(job, null, inputMp, outputMp));
        }
        return assets.presigned(job.result().assetId())
                .map(url -> JobView.of(job, url, inputMp, outputMp))
                .defaultIfEmpty(JobView.of(job, null, inputMp, outputMp));
    }
}
