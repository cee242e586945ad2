package io.flux2.assets.store;

import io.flux2.assets.AssetProperties;
import io.flux2.common.problem.ApiProblem;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Runs the blocking MinIO client off the event loop, with a timeout, through one circuit breaker for the
 * store; only calls that are safe to repeat are retried. A store that is down or whose breaker is open
 * becomes a 503 with Retry-After, so callers back off instead of failing their jobs.
 */
public class StoreCalls {

    public static final String NAME = "asset-store";
    private static final Logger log = LoggerFactory.getLogger(StoreCalls.class);

    private final CircuitBreaker circuitBreaker;
    private final Retry retry;
    private final Duration timeout;
    private final long retryAfterSeconds;

    public StoreCalls(AssetProperties.S3 s3, CircuitBreakerRegistry breakers, RetryRegistry retries) {
        CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.from(breakers.getDefaultConfig())
                .recordException(StoreFailures::isStoreFailure)
                .build();
        RetryConfig retryConfig = RetryConfig.custom()
                .maxAttempts(s3.retries() + 1)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(s3.retryBackoff(), 2.0))
                .retryOnException(StoreFailures::isStoreFailure)
                .build();
        this.circuitBreaker = breakers.circuitBreaker(NAME, breakerConfig);
        this.retry = retries.retry(NAME, retryConfig);
        this.timeout = s3.callTimeout();
        long openMillis = breakerConfig.getWaitIntervalFunctionInOpenState().apply(1);
        this.retryAfterSeconds = Math.max(1, Duration.ofMillis(openMillis).toSeconds());
    }

    /** A read, a presign or a delete: repeating it cannot do harm. */
    public <T> Mono<T> idempotent(String what, Callable<T> call) {
        return attempt(call)
                .transformDeferred(RetryOperator.of(retry))
                .onErrorMap(StoreCalls::isUnavailable, e -> unavailable(what, e));
    }

    /** A write: one attempt. */
    public <T> Mono<T> once(String what, Callable<T> call) {
        return attempt(call).onErrorMap(StoreCalls::isUnavailable, e -> unavailable(what, e));
    }

    public CircuitBreaker circuitBreaker() {
        return circuitBreaker;
    }

    private <T> Mono<T> attempt(Callable<T> call) {
        return Mono.fromCallable(call)
                .subscribeOn(Schedulers.boundedElastic())
                .timeout(timeout)
                .transformDeferred(CircuitBreakerOperator.of(circuitBreaker));
    }

    private static boolean isUnavailable(Throwable error) {
        return error instanceof CallNotPermittedException || StoreFailures.isStoreFailure(error);
    }

    private ApiProblem unavailable(String what, Throwable cause) {
        if (cause instanceof CallNotPermittedException) {
            log.debug("Object store breaker open, refused {}", what);
        } else {
            log.warn("Object store failed to {}: {}", what, cause.toString());
        }
        return ApiProblem.unavailable("The object store is unavailable; try again later", retryAfterSeconds);
    }
}
