package io.flux2.assets.store;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Part of readiness: no traffic until the bucket exists. An open breaker is shown but does not take the
 * service out of rotation; the 503s with Retry-After already tell callers to back off.
 */
public class ObjectStoreHealthIndicator implements HealthIndicator {

    private final BucketBootstrap bootstrap;
    private final CircuitBreaker breaker;

    public ObjectStoreHealthIndicator(BucketBootstrap bootstrap, CircuitBreaker breaker) {
        this.bootstrap = bootstrap;
        this.breaker = breaker;
    }

    @Override
    public Health health() {
        Health.Builder health = bootstrap.isReady() ? Health.up() : Health.down();
        health.withDetail("bucket", bootstrap.bucket()).withDetail("circuitBreaker", breaker.getState().name());
        if (!bootstrap.isReady() && bootstrap.lastError() != null) {
            health.withDetail("lastError", bootstrap.lastError());
        }
        return health.build();
    }
}
