package io.flux2.jobs.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flux2.infra.SharedTestInfra;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.webtestclient.autoconfigure.AutoConfigureWebTestClient;
import org.springframework.http.HttpStatus;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;
import org.springframework.test.web.reactive.server.WebTestClient;

/**
 * The one Spring context the job-service tests share: the real embedded PostgreSQL, real HTTP fakes of
 * safety-service and asset-service, and intervals short enough that sweeps happen within a test. Tests
 * keep out of each other's way by giving each job its own model and tenant, not by cleaning tables.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "flux.internal.token=" + FakeHttpService.TOKEN,
        "flux.jobs.max-attempts=2",
        "flux.jobs.leases.duration=1500ms",
        "flux.jobs.leases.max-wait=5s",
        "flux.jobs.leases.poll-interval=200ms",
        "flux.jobs.leases.expiry-sweep-interval=200ms",
        "flux.jobs.retry.initial-backoff=200ms",
        "flux.jobs.retry.max-backoff=1s",
        "flux.jobs.safety.retry-delay=300ms",
        "flux.jobs.safety.sweep-interval=200ms",
        "flux.jobs.events.poll-interval=300ms",
        "flux.jobs.events.keepalive=200ms",
        "flux.jobs.active-jobs.retry-after=7s",
        "flux.jobs.listing.max-limit=5",
        "flux.jobs.retention.max-age=1h",
        "flux.jobs.retention.sweep-interval=300ms",
        "flux.jobs.webhooks.dispatch-interval=100ms",
        "flux.jobs.webhooks.initial-backoff=200ms",
        "flux.jobs.webhooks.max-backoff=1s",
        "flux.jobs.webhooks.max-attempts=4",
        "flux.jobs.webhooks.timeout=2s",
        "flux.jobs.webhooks.allowlist=127.0.0.1",
        "flux.jobs.metrics.refresh-interval=200ms",
        "flux.clients.services.safety-service.timeout=2s",
        "flux.clients.services.safety-service.retries=1",
        "flux.clients.services.safety-service.retry-backoff=50ms",
        "flux.clients.services.asset-service.timeout=2s",
        "flux.clients.services.asset-service.retries=1",
        "flux.clients.services.asset-service.retry-backoff=50ms",
        "resilience4j.circuitbreaker.configs.default.wait-duration-in-open-state=300ms",
})
// Generous: the first requests after start-up are slow on a loaded 2-core machine.
@AutoConfigureWebTestClient(timeout = "30s")
public abstract class JobServiceTest {

    protected static final FakeSafetyService SAFETY = new FakeSafetyService();
    protected static final FakeAssetService ASSETS = new FakeAssetService();
    protected static final String TOKEN = FakeHttpService.TOKEN;
    protected static final Duration PATIENCE = Duration.ofSeconds(10);

    @DynamicPropertySource
    static void infrastructure(DynamicPropertyRegistry registry) {
        SharedTestInfra.registerPostgres(registry);
        registry.add("flux.clients.services.safety-service.base-url", SAFETY::baseUrl);
        registry.add("flux.clients.services.asset-service.base-url", ASSETS::baseUrl);
    }

    @Autowired
    protected WebTestClient web;

    /** A model name no other test uses, so no other test's jobs can be leased here. */
    protected static String uniqueModel() {
        return "model-" + UUID.randomUUID();
    }

    protected static String uniqueTenant() {
        return "tenant-" + UUID.randomUUID();
    }

    protected WebTestClient.RequestBodySpec post(String uri, Object... vars) {
        return web.post().uri(uri, vars).header("X-Internal-Token", FakeHttpService.TOKEN);
    }

    protected Map<String, Object> createJob(String tenant, String model, String prompt) {
        Map<String, Object> request = new HashMap<>(Map.of("prompt", prompt, "width", 512, "height", 512,
                "seed", 42, "steps", 4, "guidance", 1.0, "outputFormat", "png"));
        return body(post("/internal/jobs")
                .bodyValue(Map.of("tenantId", tenant, "tier", "klein", "model", model, "priority", 0,
                        "request", request))
                .exchange()
                .expectStatus().isCreated());
    }

    /** A create body like {@link #createJob}'s, mutable so a test can add the issue-4 fields. */
    protected static Map<String, Object> jobBody(String tenant, String model, String prompt) {
        Map<String, Object> request = new HashMap<>(Map.of("prompt", prompt, "width", 512, "height", 512,
                "seed", 42, "steps", 4, "guidance", 1.0, "outputFormat", "png"));
        return new HashMap<>(Map.of("tenantId", tenant, "tier", "klein", "model", model, "priority", 0,
                "request", request));
    }

    protected WebTestClient.ResponseSpec create(Map<String, Object> body) {
        return post("/internal/jobs").bodyValue(body).exchange();
    }

    protected WebTestClient.ResponseSpec get(String uri, Object... vars) {
        return web.get().uri(uri, vars).header("X-Internal-Token", FakeHttpService.TOKEN).exchange();
    }

    /** Leases the (queued) job of this model, reports every step, completes it with a clean output, awaits READY. */
    protected Map<String, Object> runToReady(Object jobId, String tenant, String model, int steps) {
        Map<String, Object> lease = lease("runner", model, 2000);
        assertThat(lease).containsEntry("jobId", jobId);
        for (int step = 1; step <= steps; step++) {
            leaseAction(lease.get("leaseId"), "heartbeat", Map.of("step", step, "totalSteps", steps))
                    .expectStatus().isOk();
        }
        String assetId = ASSETS.store("\u0089PNG clean".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                "image/png");
        leaseAction(lease.get("leaseId"), "complete", Map.of("assetId", assetId, "seed", 42, "width", 512,
                "height", 512, "contentType", "image/png")).expectStatus().isOk();
        return awaitStatus(jobId, tenant, "READY");
    }

    protected Map<String, Object> getJob(Object id, String tenant) {
        return body(web.get().uri("/internal/jobs/{id}?tenantId={tenant}", id, tenant)
                .header("X-Internal-Token", FakeHttpService.TOKEN)
                .exchange()
                .expectStatus().isOk());
    }

    protected Map<String, Object> awaitStatus(Object id, String tenant, String status) {
        await().atMost(PATIENCE).pollInterval(Duration.ofMillis(50))
                .until(() -> getJob(id, tenant).get("status"), status::equals);
        return getJob(id, tenant);
    }

    /** Creates a job with a clean prompt and waits until it is in the queue. */
    protected Map<String, Object> queuedJob(String tenant, String model) {
        Map<String, Object> job = createJob(tenant, model, "a lighthouse at dusk");
        return awaitStatus(job.get("id"), tenant, "QUEUED");
    }

    protected Map<String, Object> lease(String worker, String model, long waitMillis) {
        return body(post("/internal/leases")
                .bodyValue(Map.of("workerId", worker, "models", List.of(model), "waitMillis", waitMillis))
                .exchange()
                .expectStatus().isOk());
    }

    protected WebTestClient.ResponseSpec leaseAction(Object leaseId, String action, Object body) {
        return post("/internal/leases/{leaseId}/" + action, leaseId).bodyValue(body).exchange();
    }

    @SuppressWarnings("unchecked")
    protected static Map<String, Object> body(WebTestClient.ResponseSpec response) {
        Map<String, Object> body = response.expectBody(Map.class).returnResult().getResponseBody();
        assertThat(body).isNotNull();
        return body;
    }

    protected static void expectProblem(WebTestClient.ResponseSpec response, HttpStatus status) {
        response.expectStatus().isEqualTo(status)
                .expectHeader().contentTypeCompatibleWith("application/problem+json")
                .expectBody().jsonPath("$.status").isEqualTo(status.value());
    }
}
