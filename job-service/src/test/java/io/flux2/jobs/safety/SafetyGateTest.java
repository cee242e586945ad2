package io.flux2.jobs.safety;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.jobs.events.JobEvent;
import io.flux2.jobs.events.JobEventLog;
import io.flux2.jobs.support.FakeSafetyService;
import io.flux2.jobs.support.JobServiceTest;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Flux;
import reactor.core.scheduler.Schedulers;

class SafetyGateTest extends JobServiceTest {

    private static final byte[] CLEAN_PNG = "\u0089PNG clean pixels".getBytes(StandardCharsets.ISO_8859_1);

    @Autowired
    JobEventLog events;

    @Test
    void cleanOutputMakesTheJobReadyAndEveryTransitionIsRecorded() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");
        Map<String, Object> lease = lease("w", model, 0);
        String assetId = ASSETS.store(CLEAN_PNG, "image/png");

        leaseAction(lease.get("leaseId"), "complete", Map.of("assetId", assetId, "seed", 42, "width", 512,
                "height", 512, "contentType", "image/png")).expectStatus().isOk();
        Map<String, Object> ready = awaitStatus(jobId, tenant, "READY");

        assertThat(ready).containsEntry("progress", 1.0).containsEntry("result",
                Map.of("assetId", assetId, "seed", 42, "width", 512, "height", 512, "contentType", "image/png"));
        assertThat(SAFETY.checksFor("job:" + jobId))
                .extracting(FakeSafetyService.Check::kind, FakeSafetyService.Check::contentType)
                .contains(org.assertj.core.groups.Tuple.tuple("image", "image/png"));
        assertThat(ASSETS.wasDeleted(assetId)).isFalse();
        // Completing again (a worker retrying after a lost answer) is accepted and changes nothing.
        leaseAction(lease.get("leaseId"), "complete", Map.of("assetId", assetId)).expectStatus().isOk();

        List<JobEvent> history = events.events(UUID.fromString((String) jobId), 0).collectList().block();
        assertThat(history).extracting(JobEvent::type)
                .containsExactly("CREATED", "PROMPT_PASSED", "LEASED", "COMPLETED", "OUTPUT_PASSED");
        assertThat(history).extracting(event -> event.data().get("status"))
                .containsExactly("AWAITING_SAFETY", "QUEUED", "RUNNING", "CHECKING_OUTPUT", "READY");
        assertThat(history.get(2).data()).containsEntry("workerId", "w").containsEntry("attempt", 1)
                .containsEntry("leaseId", lease.get("leaseId"));
        assertThat(history.get(3).data()).containsEntry("assetId", assetId);
    }

    @Test
    void jobsCreatedTogetherAreScreenedAndEachSettledOnceByItsOwnVerdict() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        List<Map<String, Object>> created = Flux.range(0, 24)
                .parallel(8).runOn(Schedulers.boundedElastic())
                .map(i -> createJob(tenant, model, i % 6 == 0 ? "a " + FakeSafetyService.FLAGGED_WORD + " act " + i
                        : "a quiet harbour " + i))
                .sequential().collectList().block();

        assertThat(created).hasSize(24);
        for (Map<String, Object> job : created) {
            boolean flagged = ((String) ((Map<?, ?>) job.get("request")).get("prompt"))
                    .contains(FakeSafetyService.FLAGGED_WORD);
            Map<String, Object> settled = awaitStatus(job.get("id"), tenant, flagged ? "REQUEST_MODERATED" : "QUEUED");
            // The sweeper may ask too when a batch takes longer than the (short, in tests) retry delay; only
            // the first verdict lands.
            assertThat(SAFETY.checksFor("job:" + job.get("id"))).isNotEmpty();
            List<JobEvent> history = events.events(UUID.fromString((String) job.get("id")), 0).collectList().block();
            assertThat(history).extracting(JobEvent::type)
                    .containsExactly("CREATED", flagged ? "REQUEST_MODERATED" : "PROMPT_PASSED");
            assertThat(history.get(1).data().get("decisionId")).isNotNull();
            if (flagged) {
                assertThat(settled.get("details").toString()).contains(FakeSafetyService.FLAGGED_WORD);
            }
        }
    }

    @Test
    void aJobWithOnlyAPromptIsAnsweredAlreadyPastItsCheckAskedOnce() {
        String tenant = uniqueTenant();
        String model = uniqueModel();

        Map<String, Object> clean = createJob(tenant, model, "a quiet harbour at dawn");
        Map<String, Object> flagged = createJob(tenant, model, "a " + FakeSafetyService.FLAGGED_WORD + " harbour");

        assertThat(clean).containsEntry("status", "QUEUED");
        assertThat(flagged).containsEntry("status", "REQUEST_MODERATED").containsEntry("details",
                Map.of("moderation_reasons", List.of("test-policy: " + FakeSafetyService.FLAGGED_WORD)));
        assertThat(SAFETY.checksFor("job:" + clean.get("id"))).extracting(FakeSafetyService.Check::kind)
                .containsExactly("prompt");
        assertThat(lease("w", model, 0)).containsEntry("jobId", clean.get("id"));
    }

    @Test
    @SuppressWarnings("unchecked")
    void aFlaggedReferenceImageModeratesTheRequestBeforeItIsQueued() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        String clean = ASSETS.store(CLEAN_PNG, "image/png");
        String flagged = ASSETS.store(("\u0089PNG " + FakeSafetyService.FLAGGED_WORD + " pixels")
                .getBytes(StandardCharsets.ISO_8859_1), "image/png");
        Map<String, Object> body = jobBody(tenant, model, "make the circle green");
        ((Map<String, Object>) body.get("request")).put("references", List.of(clean, flagged));

        Object jobId = body(create(body).expectStatus().isCreated()).get("id");
        Map<String, Object> moderated = awaitStatus(jobId, tenant, "REQUEST_MODERATED");

        assertThat(moderated).containsEntry("details",
                Map.of("moderation_reasons", List.of("test-policy: " + FakeSafetyService.FLAGGED_WORD)));
        assertThat(SAFETY.checksFor("job:" + jobId)).extracting(FakeSafetyService.Check::kind)
                .containsExactly("prompt", "image", "image");
    }

    @Test
    void flaggedOutputIsContentModeratedAndDeleted() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");
        Map<String, Object> lease = lease("w", model, 0);
        String assetId = ASSETS.store(("\u0089PNG " + FakeSafetyService.FLAGGED_WORD + " pixels")
                .getBytes(StandardCharsets.ISO_8859_1), "image/png");

        leaseAction(lease.get("leaseId"), "complete", Map.of("assetId", assetId, "seed", 7, "width", 256,
                "height", 256, "contentType", "image/png")).expectStatus().isOk();
        Map<String, Object> moderated = awaitStatus(jobId, tenant, "CONTENT_MODERATED");

        assertThat(moderated).doesNotContainKey("result").containsEntry("details",
                Map.of("moderation_reasons", List.of("test-policy: " + FakeSafetyService.FLAGGED_WORD)));
        org.awaitility.Awaitility.await().atMost(PATIENCE).until(() -> ASSETS.wasDeleted(assetId));
        org.awaitility.Awaitility.await().atMost(PATIENCE).until(() -> events
                .events(UUID.fromString((String) jobId), 0).map(JobEvent::type).collectList().block()
                .contains("OUTPUT_DELETED"));
    }

    @Test
    void missingOutputIsAnError() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");
        Map<String, Object> lease = lease("w", model, 0);

        leaseAction(lease.get("leaseId"), "complete", Map.of("assetId", "never-stored")).expectStatus().isOk();

        Map<String, Object> failed = awaitStatus(jobId, tenant, "ERROR");
        assertThat((String) ((Map<?, ?>) failed.get("details")).get("message")).contains("never-stored");
    }

    @Test
    void jobsWaitWhileSafetyIsDownAndMoveOnOnceItIsBack() throws InterruptedException {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object outputJobId = queuedJob(tenant, model).get("id");
        Map<String, Object> lease = lease("w", model, 0);
        String assetId = ASSETS.store(CLEAN_PNG, "image/png");

        int unavailableBefore = SAFETY.unavailableAnswers();
        SAFETY.setDown(true);
        try {
            Map<String, Object> waiting = createJob(tenant, model, "a windmill in the rain");
            assertThat(waiting).containsEntry("status", "AWAITING_SAFETY");
            leaseAction(lease.get("leaseId"), "complete", Map.of("assetId", assetId, "contentType", "image/png"))
                    .expectStatus().isOk();

            // Several sweeps go by; nothing gets through the filter, nothing can be leased.
            Thread.sleep(1500);
            assertThat(getJob(waiting.get("id"), tenant)).containsEntry("status", "AWAITING_SAFETY");
            assertThat(getJob(outputJobId, tenant)).containsEntry("status", "CHECKING_OUTPUT");
            post("/internal/leases").bodyValue(Map.of("workerId", "w", "models", List.of(model), "waitMillis", 0))
                    .exchange().expectStatus().isEqualTo(HttpStatus.NO_CONTENT);
            // The inline attempts and the sweeper's retries of both checks all reached the (down) service.
            assertThat(SAFETY.unavailableAnswers() - unavailableBefore).isGreaterThan(2);

            SAFETY.setDown(false);
            awaitStatus(waiting.get("id"), tenant, "QUEUED");
            awaitStatus(outputJobId, tenant, "READY");
        } finally {
            SAFETY.setDown(false);
        }
    }
}
