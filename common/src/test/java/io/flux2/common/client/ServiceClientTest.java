package io.flux2.common.client;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.client.WebClient;
import org.springframework.web.reactive.function.client.WebClientResponseException;

/** Calls to another service against a real loopback server that misbehaves on purpose. */
class ServiceClientTest {

    private HttpServer server;
    private final AtomicInteger calls = new AtomicInteger();
    private volatile int failuresBeforeSuccess;
    private volatile int failureStatus = 502;
    private volatile String lastToken;

    @BeforeEach
    void startServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/thing", exchange -> {
            lastToken = exchange.getRequestHeaders().getFirst("X-Internal-Token");
            int n = calls.incrementAndGet();
            byte[] body = "ok".getBytes(StandardCharsets.UTF_8);
            int status = n <= failuresBeforeSuccess ? failureStatus : 200;
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopServer() {
        server.stop(0);
    }

    private ServiceClient client(int minimumCallsToOpen) {
        var service = new ClientProperties.Service("http://127.0.0.1:" + server.getAddress().getPort(),
                Duration.ofSeconds(2), 2, Duration.ofMillis(10));
        var breakers = CircuitBreakerRegistry.of(CircuitBreakerConfig.custom()
                .minimumNumberOfCalls(minimumCallsToOpen).slidingWindowSize(minimumCallsToOpen)
                .waitDurationInOpenState(Duration.ofMinutes(1)).build());
        return new ServiceClients(new ClientProperties(Map.of("thing-service", service)), WebClient.builder(),
                breakers, RetryRegistry.ofDefaults(), "secret-token").forService("thing-service");
    }

    private static String getThing(WebClient web) {
        return web.get().uri("/thing").retrieve().bodyToMono(String.class).block();
    }

    @Test
    void anIdempotentCallIsRetriedThroughPassingFailuresAndCarriesTheInternalToken() {
        failuresBeforeSuccess = 2;
        String body = client(100).idempotent(web -> web.get().uri("/thing").retrieve().bodyToMono(String.class))
                .block();
        assertThat(body).isEqualTo("ok");
        assertThat(calls).hasValue(3);
        assertThat(lastToken).isEqualTo("secret-token");
    }

    @Test
    void aServiceThatSaysItIsUnavailableIsNotAskedAgainAtOnce() {
        failuresBeforeSuccess = 1;
        failureStatus = 503;
        assertThatThrownBy(() -> client(100).idempotent(web -> web.get().uri("/thing").retrieve()
                .bodyToMono(String.class)).block())
                .isInstanceOf(WebClientResponseException.ServiceUnavailable.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void aCallThatMustNotBeRepeatedIsTriedOnce() {
        failuresBeforeSuccess = 1;
        assertThatThrownBy(() -> client(100).once(web -> web.post().uri("/thing").retrieve()
                .bodyToMono(String.class)).block())
                .isInstanceOf(WebClientResponseException.BadGateway.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void aRefusalOfTheRequestIsNotRetried() {
        failuresBeforeSuccess = 5;
        failureStatus = 422;
        assertThatThrownBy(() -> client(100).idempotent(web -> web.get().uri("/thing").retrieve()
                .bodyToMono(String.class)).block())
                .isInstanceOf(WebClientResponseException.UnprocessableContent.class);
        assertThat(calls).hasValue(1);
    }

    @Test
    void aFailingServiceOpensTheBreakerSoCallsStopReachingIt() {
        failuresBeforeSuccess = 1000;
        ServiceClient client = client(3);
        for (int i = 0; i < 3; i++) {
            assertThatThrownBy(() -> client.once(web -> web.get().uri("/thing").retrieve()
                    .bodyToMono(String.class)).block()).isInstanceOf(WebClientResponseException.class);
        }
        assertThatThrownBy(() -> client.once(web -> web.get().uri("/thing").retrieve().bodyToMono(String.class))
                .block()).isInstanceOf(CallNotPermittedException.class);
        assertThat(calls).hasValue(3);
    }
}
