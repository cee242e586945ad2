package io.flux2.jobs.api;

import io.flux2.common.net.SsrfGuard;
import io.flux2.common.problem.ApiProblem;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.events.JobEvents;
import io.flux2.jobs.events.PublicEvent;
import io.flux2.jobs.intake.JobIntake;
import io.flux2.jobs.queue.Cancellation;
import io.flux2.jobs.store.JobStore;
import io.flux2.jobs.store.NewJob;
import io.flux2.jobs.webhooks.WebhookDeliveries;
import io.flux2.jobs.webhooks.WebhookDelivery;
import io.flux2.jobs.webhooks.WebhookDispatcher;
import io.flux2.jobs.webhooks.WebhookSigner;
import jakarta.validation.Valid;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.List;
import java.util.UUID;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RequestMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** Creating, reading, listing, cancelling and following jobs, for the gateway. */
@RestController
@RequestMapping("/internal/jobs")
public class JobController {

    static final String REPLAYED_HEADER = "Idempotent-Replayed";

    private final JobStore store;
    private final JobIntake intake;
    private final Cancellation cancellation;
    private final JobEvents events;
    private final WebhookDeliveries deliveries;
    private final WebhookDispatcher dispatcher;
    private final JobsProperties properties;

    public JobController(JobStore store, JobIntake intake, Cancellation cancellation,
            JobEvents events, WebhookDeliveries deliveries, WebhookDispatcher dispatcher, JobsProperties properties) {
        this.store = store;
        this.intake = intake;
        this.cancellation = cancellation;
        this.events = events;
        this.deliveries = deliveries;
        this.dispatcher = dispatcher;
        this.properties = properties;
    }

    /**
     * 201 with the new job as stored: without an Idempotency-Key, a job with only a prompt is usually stored
     * past its check, QUEUED or REQUEST_MODERATED; otherwise it is AWAITING_SAFETY and its checks run once it
     * is committed (a flagged prompt or reference ends it as REQUEST_MODERATED). 200 with header {@code Idempotent-Replayed: true} and the job an earlier create
     * with the same Idempotency-Key and request hash made; 409 while that earlier create is still in flight;
     * 422 for the same key with another hash; 429 (Retry-After) when the API key's active-job limit is reached.
     */
    @PostMapping
    public Mono<ResponseEntity<JobView>> create(@Valid @RequestBody CreateJobRequest body) {
        int priority = body.priority() == null ? 0 : body.priority();
        String webhookUrl = null;
        String webhookSecret = null;
        if (body.webhook() != null) {
            webhookUrl = validWebhookUrl(body.webhook().url());
            webhookSecret = body.webhook().secret();
            if (webhookSecret != null && !webhookSecret.isEmpty() && !WebhookSigner.usable(webhookSecret)) {
                throw ApiProblem.invalidField("webhook.secret", "A whsec_ secret must be base64 after the prefix");
            }
        }
        NewJob job = new NewJob(body.tenantId(), body.tier(), body.model(), priority, body.request(), body.apiKeyId(),
                body.cost(), webhookUrl, webhookSecret);
        return intake.create(job, body.idempotencyKey(), body.requestHash(), body.activeJobLimit(),
                        body.monthlySpendCap())
                .flatMap(outcome -> outcome instanceof JobIntake.Replayed replayed
                        ? Mono.just(ResponseEntity.ok().header(REPLAYED_HEADER, "true").body(JobView.of(replayed.job())))
                        : Mono.just(ResponseEntity.created(URI.create("/internal/jobs/" + outcome.job().id()))
                                .body(JobView.of(outcome.job()))));
    }

    /**
     * The job a committed create with this Idempotency-Key made for the tenant: 200 with header
     * {@code Idempotent-Replayed: true} when the request hash matches, 422 (field Idempotency-Key) when the key
     * was used with another request, 404 when the key is unknown or its create has not committed yet. Lets the
     * gateway answer a retried submit before it spends rate limit or checks the spend cap again.
     */
    @GetMapping("/by-idempotency-key")
    public Mono<ResponseEntity<JobView>> byIdempotencyKey(@RequestParam String tenantId,
            @RequestParam String idempotencyKey, @RequestParam String requestHash) {
        return intake.replay(tenantId, idempotencyKey, requestHash)
                .map(job -> ResponseEntity.ok().header(REPLAYED_HEADER, "true").body(JobView.of(job)))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Idempotency-Key " + idempotencyKey)));
    }

    /** Another tenant's job answers exactly like a missing one, so ids cannot be probed across tenants. */
    @GetMapping("/{id}")
    public Mono<JobView> get(@PathVariable String id, @RequestParam String tenantId) {
        return owned(id, tenantId).map(JobView::of);
    }

    /** The tenant's jobs, newest first; {@code nextCursor} is absent on the last page. */
    @GetMapping
    public Mono<JobPage> list(@RequestParam String tenantId, @RequestParam(required = false) Integer limit,
            @RequestParam(required = false) String cursor) {
        int size = limit == null ? properties.listing().defaultLimit() : limit;
        if (size < 1) {
            throw ApiProblem.outOfRange("limit", 1, "limit must be at least 1");
        }
        int capped = Math.min(size, properties.listing().maxLimit());
        Cursor after = cursor == null || cursor.isEmpty() ? null : Cursor.parse(cursor);
        return store.list(tenantId, after == null ? null : after.createdAt(), after == null ? null : after.id(),
                        capped + 1)
                .collectList()
                .map(jobs -> {
                    List<Job> page = jobs.size() > capped ? jobs.subList(0, capped) : jobs;
                    String next = null;
                    if (jobs.size() > capped) {
                        Job last = page.get(page.size() - 1);
                        next = new Cursor(last.createdAt(), last.id()).encode();
                    }
                    return new JobPage(page.stream().map(JobView::of).toList(), next);
                });
    }

    /**
     * Not yet running: CANCELLED at once. Running: the cancel is requested ({@code cancelRequested: true}),
     * the worker stops at its next heartbeat. Output made or job finished: 409.
     */
    @PostMapping("/{id}/cancel")
    public Mono<JobView> cancel(@PathVariable String id, @RequestParam String tenantId) {
        return Mono.justOrEmpty(Ids.parse(id))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Job " + id)))
                .flatMap(jobId -> cancellation.cancel(jobId, tenantId))
                .map(JobView::of);
    }

    @GetMapping("/{id}/events")
    public Flux<PublicEvent> events(@PathVariable String id, @RequestParam String tenantId,
            @RequestParam(required = false) Long after) {
        return owned(id, tenantId).flatMapMany(job -> events.events(job, after == null ? 0 : after));
    }

    /** Resumes after {@code after}, else after the {@code Last-Event-ID} header; ends after the terminal event. */
    @GetMapping(path = "/{id}/events/stream", produces = MediaType.TEXT_EVENT_STREAM_VALUE)
    public Flux<ServerSentEvent<Object>> stream(@PathVariable String id, @RequestParam String tenantId,
            @RequestParam(required = false) Long after,
            @RequestHeader(name = "Last-Event-ID", required = false) String lastEventId) {
        long from = after != null ? after : parseLastEventId(lastEventId);
        Flux<ServerSentEvent<Object>> stream = owned(id, tenantId).flatMapMany(job -> events.stream(job.id(), from))
                .map(event -> ServerSentEvent.builder((Object) event.data())
                        .id(Long.toString(event.id()))
                        .event(event.event())
                        .build());
        Flux<ServerSentEvent<Object>> keepalives = Flux.interval(properties.events().keepalive())
                .map(tick -> ServerSentEvent.builder().comment("keepalive").build());
        return stream.publish(shared -> Flux.merge(shared, keepalives.takeUntilOther(shared.then())));
    }

    @GetMapping("/{id}/webhook-deliveries")
    public Flux<WebhookDelivery> webhookDeliveries(@PathVariable String id, @RequestParam String tenantId) {
        return owned(id, tenantId).flatMapMany(job -> deliveries.forJob(job.id()));
    }

    private Mono<Job> owned(String id, String tenantId) {
        return Mono.justOrEmpty(Ids.parse(id))
                .flatMap(store::find)
                .filter(job -> job.tenantId().equals(tenantId))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Job " + id)));
    }

    private static long parseLastEventId(String header) {
        if (header == null || header.isBlank()) {
            return 0;
        }
        try {
            return Long.parseLong(header.trim());
        } catch (NumberFormatException e) {
            throw ApiProblem.invalidField("Last-Event-ID", "Last-Event-ID must be an event id");
        }
    }

    private String validWebhookUrl(String url) {
        URI uri;
        try {
            uri = new URI(url);
        } catch (URISyntaxException e) {
            throw ApiProblem.invalidField("webhook.url", "webhook.url is not a valid URL");
        }
        if (!uri.isAbsolute() || uri.getHost() == null || uri.getRawUserInfo() != null) {
            throw ApiProblem.invalidField("webhook.url", "webhook.url must be an absolute http(s) URL with a host");
        }
        try {
            dispatcher.guard().checkWithoutResolving(uri);
        } catch (SsrfGuard.Refused e) {
            throw ApiProblem.invalidField("webhook.url", "webhook.url is not allowed: " + e.getMessage());
        }
        return uri.toString();
    }

    /** {@code GET /internal/jobs}: a page of jobs and the cursor of the next one. */
    public record JobPage(List<JobView> items, String nextCursor) {
    }
}
