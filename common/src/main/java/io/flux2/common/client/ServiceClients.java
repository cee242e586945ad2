package io.flux2.common.client;

import io.flux2.common.auth.InternalTokenFilter;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.IntervalFunction;
import io.github.resilience4j.retry.RetryConfig;
import io.github.resilience4j.retry.RetryRegistry;
import java.io.IOException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeoutException;
import java.util.function.Predicate;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.client.WebClientResponseException;

/**
 * The one way a service builds a client for another: base URL and timeouts from {@code flux.clients},
 * the internal token on every request, a circuit breaker per target service. 4xx answers are the caller's
 * problem, not the target's health, so they neither trip the breaker nor get retried.
 */
public class ServiceClients {

    private final ClientProperties properties;
    private final WebClient.Builder builder;
    private final CircuitBreakerRegistry circuitBreakers;
    private final RetryRegistry retries;
    private final String internalToken;
    private final ConcurrentHashMap<String, ServiceClient> clients = new ConcurrentHashMap<>();

    public ServiceClients(ClientProperties properties, WebClient.Builder builder,
            CircuitBreakerRegistry circuitBreakers, RetryRegistry retries, String internalToken) {
        this.properties = properties;
        this.builder = builder;
        this.circuitBreakers = circuitBreakers;
        this.retries = retries;
        this.internalToken = internalToken;
    }

    public ServiceClient forService(String name) {
        return clients.computeIfAbsent(name, this::create);
    }

    private ServiceClient create(String name) {
        ClientProperties.Service service = properties.services().get(name);
        if (service == null || service.baseUrl() == null) {
            throw new IllegalStateException("No flux.clients.services." + name + ".base-url configured");
        }
        WebClient webClient = builder.clone()
                .baseUrl(service.baseUrl())
                .defaultHeader(InternalTokenFilter.HEADER, internalToken)
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(64 * 1024 * 1024))
                .build();
        CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.from(circuitBreakers.getDefaultConfig())
                .recordException(ServiceClients::isTargetFailure)
                .build();
        RetryConfig retryConfig = RetryConfig.custom()
                .maxAttempts(service.retries() + 1)
                .intervalFunction(IntervalFunction.ofExponentialBackoff(service.retryBackoff(), 2.0))
                .retryOnException(ServiceClients::isWorthRetrying)
                .build();
        return new ServiceClient(name, webClient,
                circuitBreakers.circuitBreaker(name, breakerConfig),
                retries.retry(name, retryConfig),
                service.timeout());
    }

    /**
     * A passing failure that a quick retry may get past. A 503 is not one: the target answered that it cannot
     * serve now (its own dependency is down) and says when to come back, so the caller passes that on at once.
     */
    static boolean isWorthRetrying(Throwable error) {
        if (error instanceof WebClientResponseException response
                && response.getStatusCode().value() == HttpStatus.SERVICE_UNAVAILABLE.value()) {
            return false;
        }
        return isTargetFailure(error);
    }

    /** A failure that says the target is unwell or unreachable, as opposed to a refusal of our request. */
    static boolean isTargetFailure(Throwable error) {
        Predicate<Throwable> transport = e -> e instanceof WebClientRequestException
                || e instanceof IOException || e instanceof TimeoutException;
        if (error instanceof WebClientResponseException response) {
            return response.getStatusCode().is5xxServerError();
        }
        return transport.test(error);
    }
}
