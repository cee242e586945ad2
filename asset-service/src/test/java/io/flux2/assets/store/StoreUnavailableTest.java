package io.flux2.assets.store;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.assets.AssetProperties;
import io.flux2.common.problem.ApiProblem;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.net.ServerSocket;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import reactor.test.StepVerifier;

/** A store that does not answer: 503 with Retry-After, and the breaker opens instead of piling up calls. */
class StoreUnavailableTest {

    @Test
    void deadStoreIsUnavailableAndOpensTheBreaker() throws Exception {
        int deadPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            deadPort = socket.getLocalPort();
        }
        AssetProperties.S3 s3 = new AssetProperties.S3("http://127.0.0.1:" + deadPort, null, "key", "secret-key",
                "bucket", null, Duration.ofMillis(500), Duration.ofSeconds(2), 1, Duration.ofMillis(10));
        CircuitBreakerRegistry breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .minimumNumberOfCalls(2).slidingWindowSize(2).waitDurationInOpenState(Duration.ofSeconds(7)).build());
        StoreCalls calls = new StoreCalls(s3, breakers, RetryRegistry.ofDefaults());
        S3Clients clients = S3Clients.create(s3);
        BucketBootstrap bootstrap = new BucketBootstrap(clients.operations(), "bucket",
                Duration.ofMillis(50), Duration.ofMillis(100));
        ObjectStore store = new ObjectStore(clients, "bucket", calls, bootstrap, Duration.ofMillis(200));

        StepVerifier.create(store.open("tenant/outputs/x.png"))
                .expectErrorSatisfies(error -> assertUnavailable(error, 7))
                .verify(Duration.ofSeconds(10));
        assertThat(calls.circuitBreaker().getState()).isEqualTo(CircuitBreaker.State.OPEN);

        // Open: refused at once, without touching the store, and still a 503.
        StepVerifier.create(store.delete("tenant/outputs/x.png"))
                .expectErrorSatisfies(error -> assertUnavailable(error, 7))
                .verify(Duration.ofSeconds(1));

        // The bucket never became ready, so a write is refused after the patience runs out.
        StepVerifier.create(store.put("tenant/outputs/y.png", new byte[] {1}, "image/png"))
                .expectErrorSatisfies(error -> assertThat(((ApiProblem) error).status())
                        .isEqualTo(HttpStatus.SERVICE_UNAVAILABLE))
                .verify(Duration.ofSeconds(5));
    }

    private static void assertUnavailable(Throwable error, long retryAfter) {
        assertThat(error).isInstanceOf(ApiProblem.class);
        ApiProblem problem = (ApiProblem) error;
        assertThat(problem.status()).isEqualTo(HttpStatus.SERVICE_UNAVAILABLE);
        assertThat(problem.retryAfterSeconds()).isEqualTo(retryAfter);
    }
}
