package io.flux2.jobs.webhooks;

import io.flux2.common.net.SsrfGuard;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.PeriodicTask;
import io.flux2.jobs.assets.AssetClient;
import io.netty.channel.ChannelOption;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.MediaType;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;
import reactor.netty.http.client.HttpClient;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Sends due webhook deliveries. Each sweep claims a batch (SKIP LOCKED, pushing their next attempt past
 * the time an attempt can take, so replicas share the work and a crashed replica's claim runs out), then
 * for each: SSRF check, POST of the stored payload signed per Standard Webhooks, and the outcome recorded.
 * 2xx is delivered; anything else (redirects are not followed) is retried after
 * {@code initialBackoff * 2^(attempts-1)} (at most maxBackoff) until maxAttempts or maxDuration, then failed.
 * A target the guard refuses fails at once.
 */
@Component
public class WebhookDispatcher extends PeriodicTask {

    private static final Logger log = LoggerFactory.getLogger(WebhookDispatcher.class);
    private static final int MAX_ERROR_LENGTH = 500;

    private final DatabaseClient db;
    private final SsrfGuard guard;
    private final JobsProperties.Webhooks settings;
    private final WebClient guarded;
    private final WebClient allowlisted;
    private final AssetClient assets;
    private final ObjectMapper json;

    public WebhookDispatcher(DatabaseClient db, JobsProperties properties, AssetClient assets, ObjectMapper json) {
        super("webhook dispatch", properties.webhooks().dispatchInterval());
        this.db = db;
        this.assets = assets;
        this.json = json;
        this.settings = properties.webhooks();
        this.guard = new SsrfGuard(settings.allowlist());
        HttpClient base = HttpClient.create()
                .followRedirect(false)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) settings.timeout().toMillis())
                .responseTimeout(settings.timeout());
        this.guarded = client(base.resolver(new GuardedResolverGroup(guard)));
        this.allowlisted = client(base);
    }

    /** The guard this dispatcher checks targets with (also used to validate targets at job creation). */
    public SsrfGuard guard() {
        return guard;
    }

    private static WebClient client(HttpClient http) {
        return WebClient.builder().clientConnector(new ReactorClientHttpConnector(http)).build();
    }

    @Override
    protected Flux<?> sweep() {
        long claimMs = settings.timeout().toMillis() * 3 + 1000;
        return db.sql("""
                        update jobs.webhook_deliveries d
                        set next_attempt_at = now() + :claimMs * interval '1 millisecond', claim_id = gen_random_uuid()
                        from jobs.jobs j
                        where j.id = d.job_id
                          and d.id in (select q.id from jobs.webhook_deliveries q
                                       where q.status = 'pending' and q.next_attempt_at <= now()
                                       order by q.next_attempt_at
                                       limit :batchSize
                                       for update skip locked)
                        returning d.id, d.claim_id, d.url, d.payload::text as payload, d.attempts, j.webhook_secret
                        """)
                .bind("claimMs", claimMs)
                .bind("batchSize", settings.batchSize())
                .map(row -> new Due(row.get("id", UUID.class), row.get("claim_id", UUID.class), row.get("url", String.class),
                        row.get("payload", String.class), row.get("attempts", Integer.class),
                        row.get("webhook_secret", String.class)))
                .all()
                .collectList()
                .flatMapMany(due -> Flux.fromIterable(due).flatMap(this::attempt, settings.concurrency()));
    }

    private Mono<Void> attempt(Due due) {
        int attempt = due.attempts() + 1;
        return Mono.fromCallable(() -> {
                    URI uri = URI.create(due.url());
                    guard.resolve(guard.checkUrl(uri));
                    return uri;
                })
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(uri -> body(due).flatMap(body -> send(uri, due, body)))
                .flatMap(status -> status >= 200 && status < 300
                        ? delivered(due, attempt, status)
                        : failed(due, attempt, status, "HTTP " + status, false))
                .onErrorResume(e -> {
                    SsrfGuard.Refused refusal = refusal(e);
                    boolean refused = refusal != null && !refusal.mayPassLater() || e instanceof IllegalArgumentException;
                    log.info("Webhook delivery {} attempt {} failed: {}", due.id(), attempt, e.toString());
                    return failed(due, attempt, null, describe(e), refused);
                });
    }

    /**
     * The stored message, with BFL's {@code result.sample}: a URL to a ready job's image, signed for this attempt.
     * If asset-service cannot sign it, the attempt fails and is retried; if the image is gone, the message goes
     * without it.
     */
    private Mono<byte[]> body(Due due) {
        byte[] stored = due.payload().getBytes(StandardCharsets.UTF_8);
        JsonNode payload = json.readTree(due.payload());
        JsonNode assetId = payload.path("result").path("assetId");
        if (!assetId.isString()) {
            return Mono.just(stored);
        }
        return assets.presignedUrl(assetId.asString(), settings.sampleUrlTtl())
                .map(url -> {
                    ((ObjectNode) payload.get("result")).put("sample", url);
                    return json.writeValueAsBytes(payload);
                })
                .defaultIfEmpty(stored);
    }

    private Mono<Integer> send(URI uri, Due due, byte[] body) {
        long timestamp = Instant.now().getEpochSecond();
        String messageId = due.id().toString();
        WebClient client = guard.allowlisted(uri.getHost()) ? allowlisted : guarded;
        return client.post()
                .uri(uri)
                .contentType(MediaType.APPLICATION_JSON)
                .headers(headers -> {
                    headers.set("webhook-id", messageId);
                    headers.set("webhook-timestamp", Long.toString(timestamp));
                    if (due.secret() != null && !due.secret().isEmpty()) {
                        headers.set("webhook-signature", WebhookSigner.sign(due.secret(), messageId, timestamp, body));
                        headers.set("X-BFL-Signature", WebhookSigner.signBodyAsBfl(due.secret(), body));
                        // BFL's own SDK checks the shared secret, sent as given, in this header.
                        headers.set("X-Webhook-Secret", due.secret());
                    }
                    headers.set("User-Agent", "flux2-webhooks/1");
                })
                .bodyValue(body)
                .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value()))
                .timeout(settings.timeout().multipliedBy(2));
    }

    /**
     * An outcome (here and in {@link #failed}) is recorded only under the claim the attempt was made in: a
     * redelivery, or a later claim, meanwhile makes it stale, and it must not overwrite the newer attempt's.
     */
    private Mono<Void> delivered(Due due, int attempt, int status) {
        return db.sql("""
                        update jobs.webhook_deliveries
                        set status = 'delivered', attempts = :attempts, last_status_code = :status, last_error = null,
                            delivered_at = now()
                        where id = :id and status = 'pending' and claim_id = :claim
                        """)
                .bind("attempts", attempt)
                .bind("claim", due.claimId())
                .bind("status", status)
                .bind("id", due.id())
                .then();
    }

    private Mono<Void> failed(Due due, int attempt, Integer status, String error, boolean giveUp) {
        long delayMs = backoff(attempt).toMillis();
        var spec = db.sql("""
                        update jobs.webhook_deliveries
                        set attempts = :attempts, last_status_code = :status, last_error = :error,
                            status = case when :giveUp or :attempts >= :maxAttempts
                                            or now() + :delayMs * interval '1 millisecond'
                                               > window_started_at + :maxDurationMs * interval '1 millisecond'
                                          then 'failed' else 'pending' end,
                            next_attempt_at = now() + :delayMs * interval '1 millisecond'
                        where id = :id and status = 'pending' and claim_id = :claim
                        """)
                .bind("attempts", attempt)
                .bind("claim", due.claimId())
                .bind("error", error.length() > MAX_ERROR_LENGTH ? error.substring(0, MAX_ERROR_LENGTH) : error)
                .bind("giveUp", giveUp)
                .bind("maxAttempts", settings.maxAttempts())
                .bind("delayMs", delayMs)
                .bind("maxDurationMs", settings.maxDuration().toMillis())
                .bind("id", due.id());
        spec = status == null ? spec.bindNull("status", Integer.class) : spec.bind("status", status);
        return spec.then();
    }

    Duration backoff(int attempt) {
        Duration delay = settings.initialBackoff().multipliedBy(1L << Math.min(attempt - 1, 30));
        return delay.compareTo(settings.maxBackoff()) > 0 ? settings.maxBackoff() : delay;
    }

    private static String describe(Throwable e) {
        Throwable cause = e;
        while (cause.getCause() != null && cause.getMessage() == null) {
            cause = cause.getCause();
        }
        SsrfGuard.Refused refusal = refusal(e);
        if (refusal != null) {
            return "refused by the SSRF guard: " + refusal.getMessage();
        }
        return cause.getClass().getSimpleName() + (cause.getMessage() == null ? "" : ": " + cause.getMessage());
    }

    private static SsrfGuard.Refused refusal(Throwable e) {
        for (Throwable cause = e; cause != null; cause = cause.getCause() == cause ? null : cause.getCause()) {
            if (cause instanceof SsrfGuard.Refused refusal) {
                return refusal;
            }
        }
        return null;
    }

    private record Due(UUID id, UUID claimId, String url, String payload, int attempts, String secret) {
    }
}
