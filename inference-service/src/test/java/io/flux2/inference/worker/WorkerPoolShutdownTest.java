package io.flux2.inference.worker;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import io.flux2.common.client.ClientProperties;
import io.flux2.common.client.ServiceClients;
import io.flux2.inference.InferenceProperties;
import io.flux2.inference.model.ModelRegistry;
import io.flux2.inference.output.ImageEncoder;
import io.flux2.inference.pipeline.GenerationLimits;
import io.flux2.inference.pipeline.PipelineFactory;
import io.flux2.inference.pipeline.TorchCpuNoise;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * A pod being stopped while its worker sleeps out the backoff that follows a failed job (here: a lease for a model
 * this worker has not loaded, which it hands back as retryable). The shutdown must not wait for the backoff: it is
 * ten minutes here, and Kubernetes would kill the pod long before.
 */
class WorkerPoolShutdownTest {

    private static final Duration BACKOFF = Duration.ofMinutes(10);
    /** Far below the backoff, and below the pool's own 30 s join limit, which a worker left asleep would use up. */
    private static final Duration STOPPED_WITHIN = Duration.ofSeconds(10);

    private static final String LEASE = """
            {"leaseId": "lease-1", "jobId": "job-1", "tenantId": "tenant-1", "model": "not-loaded-here",
             "attempt": 1, "expiresAt": "2030-01-01T00:00:00Z"}""";

    private HttpServer jobService;
    private final AtomicInteger leaseRequests = new AtomicInteger();
    private final AtomicInteger failureReports = new AtomicInteger();

    @BeforeEach
    void start() throws IOException {
        jobService = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        jobService.createContext("/internal/leases", exchange -> {
            exchange.getRequestBody().readAllBytes();
            String path = exchange.getRequestURI().getPath();
            if (path.equals("/internal/leases") && leaseRequests.incrementAndGet() == 1) {
                byte[] body = LEASE.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
            } else {
                if (path.equals("/internal/leases/lease-1/fail")) {
                    failureReports.incrementAndGet();
                }
                exchange.sendResponseHeaders(204, -1);
            }
            exchange.close();
        });
        jobService.start();
    }

    @AfterEach
    void stop() {
        jobService.stop(0);
    }

    @Test
    void aShutdownWakesAWorkerThatIsWaitingOutItsBackoff() throws Exception {
        var service = new ClientProperties.Service("http://127.0.0.1:" + jobService.getAddress().getPort(),
                Duration.ofSeconds(5), 0, Duration.ofMillis(10));
        var clients = new ServiceClients(new ClientProperties(Map.of("job-service", service, "asset-service", service)),
                WebClient.builder(), CircuitBreakerRegistry.ofDefaults(), RetryRegistry.ofDefaults(), "token");
        var settings = new InferenceProperties.Worker(true, 1, "shutdown-test", Duration.ofSeconds(5),
                Duration.ofSeconds(1), BACKOFF, BACKOFF);
        try (ModelRegistry models = new ModelRegistry()) {
            var pool = new WorkerPool(settings, models,
                    new PipelineFactory(new TorchCpuNoise(), new GenerationLimits(64, 50, 2048L * 2048)), clients,
                    new ImageEncoder(), event -> { });
            Set<Thread> before = Thread.getAllStackTraces().keySet();
            pool.start();
            // other tests' pools, still up in cached contexts, have threads of the same name
            Thread worker = Thread.getAllStackTraces().keySet().stream()
                    .filter(thread -> thread.getName().equals("inference-worker-0") && !before.contains(thread))
                    .findFirst().orElseThrow();
            long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
            while (failureReports.get() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(20);
            }
            assertThat(failureReports.get()).as("the worker handed the lease back").isEqualTo(1);
            Thread.sleep(300); // the worker, done reporting, goes to sleep for its backoff

            long start = System.nanoTime();
            pool.close();
            Duration took = Duration.ofNanos(System.nanoTime() - start);

            assertThat(took).isLessThan(STOPPED_WITHIN);
            assertThat(worker.isAlive()).as("the worker thread ended").isFalse();
            assertThat(leaseRequests.get()).as("no poll after the failed job: the backoff held until the stop").isEqualTo(1);
        }
    }
}
