package io.flux2.common.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.common.problem.ApiProblem;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;

/**
 * What every service gets from common, checked on a throw-away service: its own configuration file,
 * problem responses for every error, the internal-token guard, the actuator probes.
 */
@SpringBootTest(classes = ServiceSkeletonTest.SampleService.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
class ServiceSkeletonTest {

    @FluxService("sample-service")
    @SpringBootApplication
    static class SampleService {

        @RestController
        static class SampleEndpoints {

            @GetMapping("/internal/ping")
            String ping() {
                return "pong";
            }

            record Shape(@jakarta.validation.constraints.Min(64) int width) {
            }

            @org.springframework.web.bind.annotation.PostMapping("/public/shapes")
            String shape(@jakarta.validation.Valid @org.springframework.web.bind.annotation.RequestBody Shape shape) {
                return "fine";
            }

            @GetMapping("/public/later")
            reactor.core.publisher.Mono<String> later() {
                return reactor.core.publisher.Mono.delay(java.time.Duration.ofMillis(50)).thenReturn("later");
            }

            @GetMapping("/public/size")
            String size(@RequestParam int width) {
                if (width % 16 != 0) {
                    throw ApiProblem.outOfRange("width", 16, "width must be a multiple of 16");
                }
                return "fine";
            }
        }
    }

    @LocalServerPort
    int port;

    @Value("${sample.greeting}")
    String greeting;

    @Value("${spring.application.name}")
    String applicationName;

    private WebTestClient client() {
        return WebTestClient.bindToServer().baseUrl("http://127.0.0.1:" + port)
                .responseTimeout(java.time.Duration.ofSeconds(30)).build();
    }

    @Test
    void readsItsOwnConfigurationFileNamedAfterTheService() {
        assertThat(greeting).isEqualTo("from sample-service.yaml");
        assertThat(applicationName).isEqualTo("sample-service");
    }

    @Test
    void internalEndpointsNeedTheToken() {
        client().get().uri("/internal/ping").exchange()
                .expectStatus().isUnauthorized()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        client().get().uri("/internal/ping").header("X-Internal-Token", "sample-token").exchange()
                .expectStatus().isOk().expectBody(String.class).isEqualTo("pong");
        client().get().uri("/internal/ping").header("X-Internal-Token", "wrong").exchange()
                .expectStatus().isUnauthorized();
    }

    @Test
    void aBrokenRuleIsAProblemNamingTheFieldAndTheLimit() {
        client().get().uri("/public/size?width=70").exchange()
                .expectStatus().isEqualTo(422)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody()
                .jsonPath("$.status").isEqualTo(422)
                .jsonPath("$.field").isEqualTo("width")
                .jsonPath("$.limit").isEqualTo(16)
                .jsonPath("$.detail").isEqualTo("width must be a multiple of 16");
    }

    @Test
    void anInvalidBodyIsA422NamingTheField() {
        client().post().uri("/public/shapes").contentType(MediaType.APPLICATION_JSON).bodyValue("{\"width\": 10}")
                .exchange()
                .expectStatus().isEqualTo(422)
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.field").isEqualTo("width");
    }

    @Test
    void springsOwnErrorsAreProblemsToo() {
        client().get().uri("/public/nothing-here").exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
        client().get().uri("/public/size?width=abc").exchange()
                .expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON);
    }

    @Test
    void probesAndMetricsAreExposed() {
        client().get().uri("/actuator/health/readiness").exchange().expectStatus().isOk();
        client().get().uri("/actuator/health/liveness").exchange().expectStatus().isOk();
        client().get().uri("/actuator/prometheus").exchange().expectStatus().isOk();
    }

    /**
     * A client that sends its next request on the same connection before the server has wound down the
     * previous exchange (pipelining, or simply a fast client after an answer finished on another thread) must
     * still get every answer. Reactor Netty 1.3.6 stopped reading such a connection once a buffered request was
     * answered at once: the gateway hung on a keep-alive client after an answer it gave itself (422) followed
     * one that came from job-service.
     */
    @Test
    void aKeepAliveConnectionIsStillReadAfterABufferedRequestIsAnsweredAtOnce() throws Exception {
        String later = "GET /public/later HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        String atOnce = "GET /public/size?width=16 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
        try (java.net.Socket socket = new java.net.Socket("127.0.0.1", port)) {
            socket.setSoTimeout(5_000);
            var out = socket.getOutputStream();
            var in = new java.io.BufferedInputStream(socket.getInputStream());
            out.write((later + atOnce).getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readBody(in)).isEqualTo("later");
            assertThat(readBody(in)).isEqualTo("fine");
            out.write(atOnce.getBytes(java.nio.charset.StandardCharsets.US_ASCII));
            out.flush();
            assertThat(readBody(in)).as("third request on the same connection").isEqualTo("fine");
        }
    }

    /** One HTTP/1.1 response with a Content-Length body; the socket's timeout fails the test if none comes. */
    private static String readBody(java.io.InputStream in) throws java.io.IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("connection closed after: " + head);
            }
            head.append((char) b);
        }
        int length = head.toString().lines()
                .filter(line -> line.toLowerCase(java.util.Locale.ROOT).startsWith("content-length:"))
                .mapToInt(line -> Integer.parseInt(line.substring(line.indexOf(':') + 1).trim()))
                .findFirst().orElseThrow(() -> new AssertionError("no Content-Length in " + head));
        return new String(in.readNBytes(length), java.nio.charset.StandardCharsets.UTF_8);
    }
}
