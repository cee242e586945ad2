package io.flux2.jobs.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.jobs.support.FakeSafetyService;
import io.flux2.jobs.support.JobServiceTest;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

class JobApiTest extends JobServiceTest {

    @Test
    void createdJobIsScreenedQueuedAndReadableByItsTenantOnly() {
        String tenant = uniqueTenant();
        String model = uniqueModel();

        Map<String, Object> created = createJob(tenant, model, "a red fox in the snow");

        assertThat(created).containsEntry("tenantId", tenant).containsEntry("tier", "klein")
                .containsEntry("model", model).containsEntry("attempts", 0).containsKeys("createdAt", "updatedAt");
        assertThat(created.get("status")).isIn("AWAITING_SAFETY", "QUEUED");
        @SuppressWarnings("unchecked")
        Map<String, Object> request = (Map<String, Object>) created.get("request");
        assertThat(request).containsEntry("prompt", "a red fox in the snow").containsEntry("width", 512)
                .containsEntry("seed", 42);
        assertThat(created).doesNotContainKey("result");

        Map<String, Object> queued = awaitStatus(created.get("id"), tenant, "QUEUED");
        assertThat(queued.get("progress")).isEqualTo(0.0);

        expectProblem(web.get().uri("/internal/jobs/{id}?tenantId={t}", created.get("id"), uniqueTenant())
                .header("X-Internal-Token", TOKEN).exchange(), HttpStatus.NOT_FOUND);
        expectProblem(web.get().uri("/internal/jobs/{id}?tenantId={t}", UUID.randomUUID(), tenant)
                .header("X-Internal-Token", TOKEN).exchange(), HttpStatus.NOT_FOUND);
        expectProblem(web.get().uri("/internal/jobs/not-a-uuid?tenantId={t}", tenant)
                .header("X-Internal-Token", TOKEN).exchange(), HttpStatus.NOT_FOUND);
    }

    @Test
    void promptIsCheckedWithTheJobAsSubjectAndTheRequestedTolerance() {
        String tenant = uniqueTenant();
        Map<String, Object> job = body(post("/internal/jobs")
                .bodyValue(Map.of("tenantId", tenant, "tier", "pro", "model", uniqueModel(),
                        "request", Map.of("prompt", "a quiet harbour", "safetyTolerance", 5)))
                .exchange()
                .expectStatus().isCreated());
        awaitStatus(job.get("id"), tenant, "QUEUED");

        assertThat(SAFETY.checksFor("job:" + job.get("id")))
                .extracting(FakeSafetyService.Check::kind, FakeSafetyService.Check::tolerance)
                .contains(org.assertj.core.groups.Tuple.tuple("prompt", 5));
    }

    @Test
    void flaggedPromptIsRequestModeratedWithReasons() {
        String tenant = uniqueTenant();
        Map<String, Object> job = createJob(tenant, uniqueModel(), "something " + FakeSafetyService.FLAGGED_WORD);

        Map<String, Object> moderated = awaitStatus(job.get("id"), tenant, "REQUEST_MODERATED");

        assertThat(moderated.get("details")).isEqualTo(
                Map.of("moderation_reasons", List.of("test-policy: " + FakeSafetyService.FLAGGED_WORD)));
        assertThat(SAFETY.checksFor("job:" + job.get("id")))
                .extracting(FakeSafetyService.Check::tolerance).containsOnly(2);
    }

    @Test
    void internalTokenIsRequired() {
        expectProblem(web.post().uri("/internal/jobs")
                .bodyValue(Map.of("tenantId", "t", "tier", "pro", "model", "m", "request", Map.of("prompt", "p")))
                .exchange(), HttpStatus.UNAUTHORIZED);
        expectProblem(web.get().uri("/internal/jobs/{id}?tenantId=t", UUID.randomUUID())
                .header("X-Internal-Token", "wrong").exchange(), HttpStatus.UNAUTHORIZED);
        expectProblem(web.post().uri("/internal/leases")
                .bodyValue(Map.of("workerId", "w", "models", List.of("m"), "waitMillis", 0))
                .exchange(), HttpStatus.UNAUTHORIZED);
    }

    // The status (400 or 422) is common's ProblemResponses' to decide; here only that it is refused as a problem.
    @Test
    void incompleteRequestIsRefusedAsAProblem() {
        for (Map<String, Object> body : List.of(
                Map.<String, Object>of("tenantId", "t", "tier", "pro", "model", "m", "request", Map.of("width", 512)),
                Map.<String, Object>of("tier", "pro", "model", "m", "request", Map.of("prompt", "p")))) {
            post("/internal/jobs").bodyValue(body).exchange()
                    .expectStatus().is4xxClientError()
                    .expectHeader().contentTypeCompatibleWith("application/problem+json");
        }
    }
}
