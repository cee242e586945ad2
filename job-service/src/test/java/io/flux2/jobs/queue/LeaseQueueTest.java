package io.flux2.jobs.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.jobs.support.JobServiceTest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

class LeaseQueueTest extends JobServiceTest {

    // Its own threads: the common pool has a single thread on a 2-core machine, which would run the
    // "concurrent" pollers one after the other.
    private final ExecutorService pollers = Executors.newFixedThreadPool(8);

    @AfterEach
    void stopPollers() {
        pollers.shutdownNow();
    }

    // The pollers wait less than a lease lives: otherwise the loser could rightly get the job once the
    // winner's lease expired.
    @Test
    void oneJobIsLeasedToExactlyOneOfTwoConcurrentPollers() throws Exception {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Map<String, Object> job = queuedJob(tenant, model);

        List<CompletableFuture<EntityExchangeResult<Map>>> polls = new ArrayList<>();
        for (int i = 0; i < 2; i++) {
            String worker = "worker-" + i;
            polls.add(CompletableFuture.supplyAsync(() -> leaseRequest(worker, model, 600), pollers));
        }
        List<EntityExchangeResult<Map>> answers = new ArrayList<>();
        for (var poll : polls) {
            answers.add(poll.get(10, TimeUnit.SECONDS));
        }

        assertThat(answers).extracting(answer -> answer.getStatus().value()).containsExactlyInAnyOrder(200, 204);
        Map<String, Object> lease = answers.stream().filter(a -> a.getStatus().value() == 200).findFirst().orElseThrow()
                .getResponseBody();
        assertThat(lease).containsEntry("jobId", job.get("id")).containsEntry("tenantId", tenant)
                .containsEntry("model", model).containsEntry("attempt", 1).containsKeys("leaseId", "expiresAt");
        assertThat(((Map<?, ?>) lease.get("request")).get("prompt")).isEqualTo("a lighthouse at dusk");
        assertThat(getJob(job.get("id"), tenant)).containsEntry("status", "RUNNING").containsEntry("attempts", 1);
    }

    @Test
    void concurrentPollersNeverShareAJob() throws Exception {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        List<Object> jobs = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
            jobs.add(queuedJob(tenant, model).get("id"));
        }

        List<CompletableFuture<EntityExchangeResult<Map>>> polls = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            String worker = "worker-" + i;
            polls.add(CompletableFuture.supplyAsync(() -> leaseRequest(worker, model, 600), pollers));
        }
        List<Object> leased = new ArrayList<>();
        for (var poll : polls) {
            EntityExchangeResult<Map> answer = poll.get(10, TimeUnit.SECONDS);
            if (answer.getStatus().value() == 200) {
                leased.add(answer.getResponseBody().get("jobId"));
            }
        }
        assertThat(leased).containsExactlyInAnyOrderElementsOf(jobs);
    }

    @Test
    void higherPriorityThenOlderJobsAreLeasedFirst() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object oldLow = queuedJob(tenant, model).get("id");
        Object high = awaitStatus(body(post("/internal/jobs").bodyValue(Map.of("tenantId", tenant, "tier", "pro",
                "model", model, "priority", 10, "request", Map.of("prompt", "a castle"))).exchange()
                .expectStatus().isCreated()).get("id"), tenant, "QUEUED").get("id");
        Object newLow = queuedJob(tenant, model).get("id");

        assertThat(List.of(lease("w", model, 0).get("jobId"), lease("w", model, 0).get("jobId"),
                lease("w", model, 0).get("jobId"))).containsExactly(high, oldLow, newLow);
    }

    @Test
    void emptyQueueAnswers204AfterTheWait() {
        Instant start = Instant.now();
        EntityExchangeResult<Map> answer = leaseRequest("idle-worker", uniqueModel(), 800);
        Duration waited = Duration.between(start, Instant.now());

        assertThat(answer.getStatus()).isEqualTo(HttpStatus.NO_CONTENT);
        assertThat(waited).isBetween(Duration.ofMillis(750), Duration.ofMillis(4000));
    }

    @Test
    void waitingPollerGetsAJobAsSoonAsItIsQueued() throws Exception {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Instant start = Instant.now();
        CompletableFuture<EntityExchangeResult<Map>> poll =
                CompletableFuture.supplyAsync(() -> leaseRequest("eager-worker", model, 5000), pollers);
        Thread.sleep(400);
        Object jobId = createJob(tenant, model, "a kite over the dunes").get("id");

        EntityExchangeResult<Map> answer = poll.get(10, TimeUnit.SECONDS);
        Duration waited = Duration.between(start, Instant.now());

        assertThat(answer.getStatus()).isEqualTo(HttpStatus.OK);
        assertThat(answer.getResponseBody().get("jobId")).isEqualTo(jobId);
        assertThat(waited).isLessThan(Duration.ofMillis(4000));
    }

    @Test
    void heartbeatReportsProgressAndExtendsTheLease() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");
        Map<String, Object> lease = lease("w", model, 0);

        Map<String, Object> beat = body(leaseAction(lease.get("leaseId"), "heartbeat",
                Map.of("step", 5, "totalSteps", 20)).expectStatus().isOk());

        assertThat(beat).containsEntry("cancelRequested", false);
        assertThat(Instant.parse((String) beat.get("expiresAt")))
                .isAfterOrEqualTo(Instant.parse((String) lease.get("expiresAt")));
        assertThat(getJob(jobId, tenant)).containsEntry("progress", 0.25).containsEntry("status", "RUNNING");
    }

    @Test
    void heartbeatOfAnUnknownLeaseIsGone() {
        expectProblem(leaseAction(java.util.UUID.randomUUID(), "heartbeat", Map.of("step", 1, "totalSteps", 2)),
                HttpStatus.GONE);
        expectProblem(leaseAction("nonsense", "complete", Map.of("assetId", "a")), HttpStatus.GONE);
    }

    @Test
    void retryableFailureRequeuesUntilAttemptsRunOut() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");

        Map<String, Object> first = lease("w", model, 0);
        leaseAction(first.get("leaseId"), "fail", Map.of("message", "CUDA out of memory", "retryable", true))
                .expectStatus().isOk();
        Map<String, Object> requeued = getJob(jobId, tenant);
        assertThat(requeued).containsEntry("status", "QUEUED").containsEntry("attempts", 1);

        // The backoff keeps it from being leased at once; the long-poll picks it up when it is over.
        Map<String, Object> second = lease("w", model, 3000);
        assertThat(second).containsEntry("jobId", jobId).containsEntry("attempt", 2);
        leaseAction(second.get("leaseId"), "fail", Map.of("message", "CUDA out of memory", "retryable", true))
                .expectStatus().isOk();

        Map<String, Object> failed = getJob(jobId, tenant);
        assertThat(failed).containsEntry("status", "ERROR").containsEntry("attempts", 2)
                .containsEntry("details", Map.of("message", "CUDA out of memory"));
        expectProblem(leaseAction(first.get("leaseId"), "heartbeat", Map.of("step", 1, "totalSteps", 2)),
                HttpStatus.GONE);
    }

    @Test
    void nonRetryableFailureIsAnErrorAtOnce() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");
        Map<String, Object> lease = lease("w", model, 0);

        leaseAction(lease.get("leaseId"), "fail", Map.of("message", "prompt too long for the encoder",
                "retryable", false)).expectStatus().isOk();
        // A worker repeating its report after a lost answer is not told off.
        leaseAction(lease.get("leaseId"), "fail", Map.of("message", "prompt too long for the encoder",
                "retryable", false)).expectStatus().isOk();

        assertThat(getJob(jobId, tenant)).containsEntry("status", "ERROR").containsEntry("attempts", 1)
                .containsEntry("details", Map.of("message", "prompt too long for the encoder"));
    }

    @SuppressWarnings({"rawtypes", "unchecked"})
    private EntityExchangeResult<Map> leaseRequest(String worker, String model, long waitMillis) {
        return post("/internal/leases")
                .bodyValue(Map.of("workerId", worker, "models", List.of(model), "waitMillis", waitMillis))
                .exchange()
                .expectBody(Map.class)
                .returnResult();
    }
}
