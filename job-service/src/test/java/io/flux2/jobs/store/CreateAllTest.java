package io.flux2.jobs.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.flux2.jobs.GenerationRequest;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobStatus;
import io.flux2.jobs.support.JobServiceTest;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.r2dbc.core.DatabaseClient;

/** Many creates in one statement keep what each create alone guarantees: its fields, its event, its key's limit. */
class CreateAllTest extends JobServiceTest {

    @Autowired
    JobStore store;

    @Autowired
    DatabaseClient db;

    @Test
    void aBatchCreatesEachJobWithItsEventAndStopsAKeyAtItsLimit() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        String limited = "key-" + UUID.randomUUID();
        String unlimited = "key-" + UUID.randomUUID();
        List<JobStore.Pending> batch = List.of(
                pending(tenant, model, "first of the limited key", limited, 2, null),
                pending(tenant, model, "no key", null, 2, null),
                pending(tenant, model, "second of the limited key", limited, 2, "https://hooks.example.com/a"),
                pending(tenant, model, "third of the limited key", limited, 2, null),
                pending(tenant, model, "a key without a limit", unlimited, null, null));

        List<Job> created = store.createAll(batch, 3, Duration.ofSeconds(5)).collectList().block();

        assertThat(created).extracting(job -> job.request().prompt()).containsExactlyInAnyOrder(
                "first of the limited key", "no key", "second of the limited key", "a key without a limit");
        assertThat(created).allSatisfy(job -> {
            assertThat(job.status()).isEqualTo(JobStatus.AWAITING_SAFETY);
            assertThat(job.tenantId()).isEqualTo(tenant);
        });
        Job hooked = created.stream().filter(job -> job.request().prompt().startsWith("second")).findFirst().orElseThrow();
        assertThat(hooked.id()).isEqualTo(batch.get(2).id());
        assertThat(hooked.cost()).isEqualByComparingTo("1.5");
        assertThat(events(hooked.id())).containsExactly("CREATED");
        assertThat(activeCount(limited)).isEqualTo(2);

        // The key is full: a later batch creates none of its jobs and still creates the others.
        List<Job> later = store.createAll(List.of(
                        pending(tenant, model, "over the limit", limited, 2, null),
                        pending(tenant, model, "another key", unlimited, 5, null)), 3, Duration.ofSeconds(5))
                .collectList().block();
        assertThat(later).extracting(job -> job.request().prompt()).containsExactly("another key");
        assertThat(activeCount(limited)).isEqualTo(2);
    }

    private static JobStore.Pending pending(String tenant, String model, String prompt, String apiKey, Integer limit,
            String webhookUrl) {
        GenerationRequest request = new GenerationRequest(prompt, 512, 512, 42L, 4, 1.0, "png", 2, null, null);
        return new JobStore.Pending(UUID.randomUUID(), new NewJob(tenant, "klein", model, 10, request, apiKey,
                new BigDecimal("1.5"), webhookUrl, webhookUrl == null ? null : "whsec_c2VjcmV0"), limit, null);
    }

    @Test
    void jobsWithAVerdictAreStoredPastTheirCheckWithTheHistoryACheckAfterwardsWouldHaveWritten() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        String apiKey = "key-" + UUID.randomUUID();
        JobStore.Pending passed = pending(tenant, model, "a red circle", apiKey, 5, null)
                .withVerdict(new PromptVerdict(false, "d-1", "policy-7", List.of()));
        JobStore.Pending flagged = pending(tenant, model, "something flagged", apiKey, 5, "https://hooks.example.com/m")
                .withVerdict(new PromptVerdict(true, "d-2", "policy-7", List.of("violence")));
        JobStore.Pending unchecked = pending(tenant, model, "not asked yet", apiKey, 5, null);

        List<Job> created = store.createAll(List.of(passed, flagged, unchecked), 3, Duration.ofSeconds(5))
                .collectList().block();

        assertThat(created).extracting(Job::id, Job::status).containsExactlyInAnyOrder(
                tuple(passed.id(), JobStatus.QUEUED),
                tuple(flagged.id(), JobStatus.REQUEST_MODERATED),
                tuple(unchecked.id(), JobStatus.AWAITING_SAFETY));
        assertThat(events(passed.id())).containsExactly("CREATED", "PROMPT_PASSED");
        assertThat(events(flagged.id())).containsExactly("CREATED", "REQUEST_MODERATED");
        assertThat(events(unchecked.id())).containsExactly("CREATED");
        assertThat(eventData(passed.id(), "PROMPT_PASSED")).contains("\"decisionId\": \"d-1\"", "\"status\": \"QUEUED\"");
        Job moderated = created.stream().filter(job -> job.id().equals(flagged.id())).findFirst().orElseThrow();
        assertThat(moderated.details()).containsEntry("moderation_reasons", List.of("violence"));
        // Only the unfinished ones count against the key; the moderated job's webhook is due at once.
        assertThat(activeCount(apiKey)).isEqualTo(2);
        assertThat(db.sql("select count(*) as n from jobs.webhook_deliveries where job_id = :id")
                .bind("id", flagged.id()).map((row, meta) -> row.get("n", Long.class)).one().block()).isEqualTo(1L);
        // Past the check, nothing is left for the safety sweeper.
        assertThat(db.sql("select count(*) as n from jobs.jobs where id in (:a, :b) and next_check_at is not null")
                .bind("a", passed.id()).bind("b", flagged.id()).map((row, meta) -> row.get("n", Long.class)).one()
                .block()).isZero();
    }

    @Test
    void aModeratedPromptTakesNoPlaceOfItsKey() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        String apiKey = "key-" + UUID.randomUUID();
        store.createAll(List.of(pending(tenant, model, "already running", apiKey, 2, null)), 3, Duration.ofSeconds(5))
                .collectList().block();
        // One place left: the flagged prompt before the clean one must not take it.
        JobStore.Pending flagged = pending(tenant, model, "something flagged", apiKey, 2, null)
                .withVerdict(new PromptVerdict(true, "d-3", "policy-7", List.of("violence")));
        JobStore.Pending clean = pending(tenant, model, "a blue square", apiKey, 2, null)
                .withVerdict(new PromptVerdict(false, "d-4", "policy-7", List.of()));

        List<Job> created = store.createAll(List.of(flagged, clean), 3, Duration.ofSeconds(5)).collectList().block();

        assertThat(created).extracting(Job::id, Job::status).containsExactlyInAnyOrder(
                tuple(flagged.id(), JobStatus.REQUEST_MODERATED), tuple(clean.id(), JobStatus.QUEUED));
        assertThat(activeCount(apiKey)).isEqualTo(2);
    }

    private String eventData(UUID job, String type) {
        return db.sql("select data::text as d from jobs.job_events where job_id = :id and type = :type")
                .bind("id", job).bind("type", type).map((row, meta) -> row.get("d", String.class)).one().block();
    }

    private List<String> events(UUID job) {
        return db.sql("select type from jobs.job_events where job_id = :id order by id").bind("id", job)
                .map((row, meta) -> row.get("type", String.class)).all().collectList().block();
    }

    private Integer activeCount(String apiKey) {
        return db.sql("select active from jobs.active_job_counts where api_key_id = :key").bind("key", apiKey)
                .map((row, meta) -> row.get("active", Integer.class)).one().block();
    }
}
