package io.flux2.jobs.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.jobs.support.JobServiceTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

class CancelTest extends JobServiceTest {

    @Test
    void queuedJobIsCancelledAtOnceAndASecondCancelAnswersTheSame() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");

        Map<String, Object> cancelled = body(cancel(jobId, tenant).expectStatus().isOk());

        assertThat(cancelled).containsEntry("status", "CANCELLED").containsEntry("stepsRun", 0);
        assertThat(events(jobId, tenant)).extracting(e -> e.get("event")).containsExactly("queued", "cancelled");
        // A retried cancel (its first answer lost) is not a refusal, and changes nothing.
        assertThat(body(cancel(jobId, tenant).expectStatus().isOk())).containsEntry("status", "CANCELLED");
        assertThat(events(jobId, tenant)).hasSize(2);
        // Nothing is leased afterwards.
        post("/internal/leases").bodyValue(Map.of("workerId", "w", "models", List.of(model), "waitMillis", 0))
                .exchange().expectStatus().isNoContent();
    }

    @Test
    void runningJobLearnsOfTheCancelInItsHeartbeatAndRecordsTheStepsRun() {
        Running running = runningAtStep(1, 4);
        String tenant = running.tenant();
        Object jobId = running.jobId();
        Map<String, Object> lease = running.lease();

        Map<String, Object> requested = body(cancel(jobId, tenant).expectStatus().isOk());
        assertThat(requested).containsEntry("status", "RUNNING").containsEntry("cancelRequested", true);
        body(cancel(jobId, tenant).expectStatus().isOk());

        Map<String, Object> beat = body(leaseAction(lease.get("leaseId"), "heartbeat",
                Map.of("step", 2, "totalSteps", 4)).expectStatus().isOk());
        assertThat(beat).containsEntry("cancelRequested", true);
        leaseAction(lease.get("leaseId"), "cancelled", Map.of("stepsRun", 2)).expectStatus().isOk();
        leaseAction(lease.get("leaseId"), "cancelled", Map.of("stepsRun", 2)).expectStatus().isOk();

        Map<String, Object> job = getJob(jobId, tenant);
        assertThat(job).containsEntry("status", "CANCELLED").containsEntry("stepsRun", 2)
                .containsEntry("totalSteps", 4).doesNotContainKey("cancelRequested");
        List<Map<String, Object>> events = events(jobId, tenant);
        assertThat(events).extracting(e -> e.get("event"))
                .containsExactly("queued", "started", "progress", "progress", "cancelled");
        assertThat(events.get(4).get("data")).isEqualTo(Map.of("jobId", jobId, "status", "CANCELLED",
                "stepsRun", 2, "totalSteps", 4));
        assertThat(body(cancel(jobId, tenant).expectStatus().isOk())).containsEntry("stepsRun", 2);
    }

    /**
     * After the heartbeat of its last step the worker only stores the image and asks nothing more, so a cancel
     * then is refused rather than accepted and never acted on; the job goes on to be checked and billed in full.
     */
    @Test
    void aCancelAfterTheLastStepIsRefusedAndTheJobFinishes() {
        Running running = runningAtStep(4, 4);
        String tenant = running.tenant();
        Object jobId = running.jobId();

        expectProblem(cancel(jobId, tenant), HttpStatus.CONFLICT);

        assertThat(getJob(jobId, tenant)).containsEntry("status", "RUNNING").doesNotContainKey("cancelRequested");
        assertThat(events(jobId, tenant)).extracting(e -> e.get("event")).doesNotContain("cancelled");
    }

    /**
     * On its last step the worker finishes the image whatever it reads, so a cancel then is refused as well: the
     * user is told at once, rather than told yes and billed in full for an image after all.
     */
    @Test
    void aCancelDuringTheLastStepIsRefused() {
        Running running = runningAtStep(3, 4);
        expectProblem(cancel(running.jobId(), running.tenant()), HttpStatus.CONFLICT);
        assertThat(getJob(running.jobId(), running.tenant())).doesNotContainKey("cancelRequested");
    }

    /** The inference worker reports a cancel as a non-retryable failure; that ends CANCELLED too. */
    @Test
    void failureAfterACancelRequestEndsCancelled() {
        Running running = runningAtStep(2, 4);
        String tenant = running.tenant();
        Object jobId = running.jobId();
        Map<String, Object> lease = running.lease();
        cancel(jobId, tenant).expectStatus().isOk();

        leaseAction(lease.get("leaseId"), "fail", Map.of("message", "Cancelled on request after 3 steps",
                "retryable", false)).expectStatus().isOk();
        leaseAction(lease.get("leaseId"), "fail", Map.of("message", "again", "retryable", false))
                .expectStatus().isOk();

        assertThat(getJob(jobId, tenant)).containsEntry("status", "CANCELLED").containsEntry("stepsRun", 2);
    }

    @Test
    void anotherTenantsOrAnUnknownJobIsNotFound() {
        String tenant = uniqueTenant();
        Object jobId = queuedJob(tenant, uniqueModel()).get("id");
        expectProblem(cancel(jobId, uniqueTenant()), HttpStatus.NOT_FOUND);
        expectProblem(cancel(UUID.randomUUID(), tenant), HttpStatus.NOT_FOUND);
        expectProblem(cancel("nonsense", tenant), HttpStatus.NOT_FOUND);
        assertThat(getJob(jobId, tenant)).containsEntry("status", "QUEUED");
    }

    private org.springframework.test.web.reactive.server.WebTestClient.ResponseSpec cancel(Object jobId, String tenant) {
        return post("/internal/jobs/{id}/cancel?tenantId={t}", jobId, tenant).exchange();
    }

    @SuppressWarnings("unchecked")
    private List<Map<String, Object>> events(Object jobId, String tenant) {
        return (List<Map<String, Object>>) (List<?>) get("/internal/jobs/{id}/events?tenantId={t}", jobId, tenant)
                .expectStatus().isOk().expectBodyList(Map.class).returnResult().getResponseBody();
    }

    private record Running(String tenant, Object jobId, Map<String, Object> lease) {
    }

    /** A job of a new tenant, leased by a worker that has reported {@code step} of {@code totalSteps}. */
    private Running runningAtStep(int step, int totalSteps) {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");
        Map<String, Object> lease = lease("w", model, 0);
        leaseAction(lease.get("leaseId"), "heartbeat", Map.of("step", step, "totalSteps", totalSteps))
                .expectStatus().isOk();
        return new Running(tenant, jobId, lease);
    }
}
