package io.flux2.common.client;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.retry.Retry;
import java.time.Duration;
import java.util.function.Function;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Mono;

/**
 * One other service, called over HTTP through Resilience4j: every call has a timeout and passes the
 * service's circuit breaker; only calls that are safe to repeat are retried.
 */
public final class ServiceClient {

    private final String name;
    private final WebClient webClient;
    private final CircuitBreaker circuitBreaker;
    private final Retry retry;
    private final Duration timeout;

    ServiceClient(String name, WebClient webClient, CircuitBreaker circuitBreaker, Retry retry, Duration timeout) {
        this.name = name;
        this.webClient = webClient;
        this.circuitBreaker = circuitBreaker;
        this.retry = retry;
        this.timeout = timeout;
    }

    public String name() {
        return name;
    }

    /** A call that may be repeated without harm (a read, or a write keyed so a repeat is a no-op). */
    public <T> Mono<T> idempotent(Function<WebClient, Mono<T>> call) {
        return idempotent(call, timeout);
    }

    /** As {@link #idempotent(Function)}, with its own timeout, for long-polls. */
    public <T> Mono<T> idempotent(Function<WebClient, Mono<T>> call, Duration attemptTimeout) {
        return Mono.defer(() -> call.apply(webClient))
                .timeout(attemptTimeout)
                .transformDeferred(CircuitBreakerOperator.of(circuitBreaker))
                .transformDeferred(RetryOperator.of(retry));
    }

    /** A call that must not be repeated blindly: one attempt, a timeout and the circuit breaker. */
    public <T> Mono<T> once(Function<WebClient, Mono<T>> call) {
        return Mono.defer(() -> call.apply(webClient))
                .timeout(timeout)
                .transformDeferred(CircuitBreakerOperator.of(circuitBreaker));
    }
}
