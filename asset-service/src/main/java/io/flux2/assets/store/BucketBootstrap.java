package io.flux2.assets.store;

import io.flux2.common.problem.ApiProblem;
import io.minio.BucketExistsArgs;
import io.minio.MakeBucketArgs;
import io.minio.MinioClient;
import io.minio.errors.ErrorResponseException;
import java.time.Duration;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;
import reactor.core.scheduler.Schedulers;
import reactor.util.retry.Retry;

/**
 * Makes sure the bucket exists. The store may come up after this service (compose, Kubernetes), so the
 * attempt repeats in the background with backoff instead of failing or holding up startup; readiness
 * stays down until it succeeds. It bypasses the store's circuit breaker so that a slow store at startup
 * does not open the breaker for the first real requests.
 */
public class BucketBootstrap implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(BucketBootstrap.class);
    private static final Set<String> ALREADY_THERE = Set.of("BucketAlreadyOwnedByYou", "BucketAlreadyExists");

    private final MinioClient client;
    private final String bucket;
    private final Duration firstBackoff;
    private final Duration maxBackoff;
    private final Sinks.Empty<Void> ready = Sinks.empty();
    private volatile boolean isReady;
    private volatile String lastError = "not tried yet";
    private volatile Disposable attempts;
    private volatile boolean running;

    public BucketBootstrap(MinioClient client, String bucket, Duration firstBackoff, Duration maxBackoff) {
        this.client = client;
        this.bucket = bucket;
        this.firstBackoff = firstBackoff;
        this.maxBackoff = maxBackoff;
    }

    @Override
    public void start() {
        running = true;
        attempts = Mono.fromRunnable(this::ensureBucket)
                .subscribeOn(Schedulers.boundedElastic())
                .retryWhen(Retry.backoff(Long.MAX_VALUE, firstBackoff).maxBackoff(maxBackoff)
                        .doBeforeRetry(signal -> {
                            lastError = signal.failure().toString();
                            log.warn("Bucket {} not ready (attempt {}), retrying: {}", bucket,
                                    signal.totalRetries() + 1, lastError);
                        }))
                .subscribe(null, error -> log.error("Gave up on bucket {}", bucket, error), () -> {
                    isReady = true;
                    lastError = null;
                    ready.tryEmitEmpty();
                    log.info("Bucket {} is ready", bucket);
                });
    }

    private void ensureBucket() {
        try {
            if (!client.bucketExists(BucketExistsArgs.builder().bucket(bucket).build())) {
                client.makeBucket(MakeBucketArgs.builder().bucket(bucket).build());
            }
        } catch (ErrorResponseException e) {
            // Another replica created it between our two calls.
            if (!ALREADY_THERE.contains(e.errorResponse().code())) {
                throw new IllegalStateException(e);
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    public boolean isReady() {
        return isReady;
    }

    public String lastError() {
        return lastError;
    }

    public String bucket() {
        return bucket;
    }

    /** Completes once the bucket exists; a 503 if that takes longer than {@code patience}. */
    public Mono<Void> awaitReady(Duration patience) {
        if (isReady) {
            return Mono.empty();
        }
        return ready.asMono().timeout(patience, Mono.error(() ->
                ApiProblem.unavailable("The object store is not ready yet", 5)));
    }

    @Override
    public void stop() {
        running = false;
        Disposable pending = attempts;
        if (pending != null) {
            pending.dispose();
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }
}
