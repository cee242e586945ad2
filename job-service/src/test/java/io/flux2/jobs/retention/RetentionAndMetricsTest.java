package io.flux2.jobs.retention;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flux2.jobs.support.JobServiceTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.r2dbc.core.DatabaseClient;

class RetentionAndMetricsTest extends JobServiceTest {

    @Autowired
    DatabaseClient db;

    @Test
    void finishedJobsPastTheRetentionGoWithTheirOutputAndHistory() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Map<String, Object> oldBody = jobBody(tenant, model, "an old picture");
        oldBody.put("idempotencyKey", "old-key");
        oldBody.put("cost", 3);
        Object old = body(create(oldBody).expectStatus().isCreated()).get("id");
        awaitStatus(old, tenant, "QUEUED");
        Map<String, Object> ready = runToReady(old, tenant, model, 1);
        String assetId = (String) ((Map<?, ?>) ready.get("result")).get("assetId");
        Object fresh = body(create(jobBody(tenant, uniqueModel(), "something forbidden")).expectStatus().isCreated()).get("id");
        awaitStatus(fresh, tenant, "REQUEST_MODERATED");
        Object running = queuedJob(tenant, uniqueModel()).get("id");

        Map<String, Object> usageBefore = body(get("/internal/usage?tenantId={t}", tenant).expectStatus().isOk());

        // Retention is an hour in tests: age two jobs by hand (one finished, one not).
        for (Object id : new Object[] {old, running}) {
            db.sql("update jobs.jobs set updated_at = now() - interval '2 hours' where id = :id")
                    .bind("id", UUID.fromString((String) id)).then().block();
        }

        await().atMost(PATIENCE).until(() -> ASSETS.wasDeleted(assetId));
        await().atMost(PATIENCE).untilAsserted(() -> expectProblem(
                get("/internal/jobs/{id}?tenantId={t}", old, tenant), HttpStatus.NOT_FOUND));
        assertThat(db.sql("select count(*) as n from jobs.job_events where job_id = :id")
                .bind("id", UUID.fromString((String) old)).map(row -> row.get("n", Long.class)).one().block())
                .isZero();
        // What the deleted job was billed still counts: usage (and so the spend cap) does not drop with history.
        assertThat(body(get("/internal/usage?tenantId={t}", tenant).expectStatus().isOk())).isEqualTo(usageBefore);
        assertThat(((Number) usageBefore.get("megapixels")).doubleValue()).isPositive();
        assertThat(usageBefore).containsEntry("jobs", 2);
        assertThat(((Number) usageBefore.get("credits")).doubleValue()).isEqualTo(3.0);
        Map<String, Object> overTheCap = jobBody(tenant, uniqueModel(), "one credit past the cap");
        overTheCap.put("cost", 1);
        overTheCap.put("monthlySpendCap", 3.5);
        expectProblem(create(overTheCap), HttpStatus.PAYMENT_REQUIRED);
        // The key went with its job: the same key now creates a new job.
        assertThat(body(create(oldBody).expectStatus().isCreated()).get("id")).isNotEqualTo(old);
        getJob(fresh, tenant);
        getJob(running, tenant);
    }

    @Test
    void queueDepthIsAGaugeForTheAutoscaler() {
        String model = uniqueModel();
        String tenant = uniqueTenant();
        for (int i = 0; i < 3; i++) {
            queuedJob(tenant, model);
        }
        long queued = db.sql("select count(*) as n from jobs.jobs where status = 'QUEUED'")
                .map(row -> row.get("n", Long.class)).one().block();
        await().atMost(PATIENCE).until(() -> gauge() >= Math.min(queued, 3));
        assertThat(gauge()).isGreaterThanOrEqualTo(3);
    }

    private double gauge() {
        String text = web.get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                .expectBody(String.class).returnResult().getResponseBody();
        return text.lines().filter(line -> line.startsWith("flux_jobs_queued"))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .findFirst().orElse(-1);
    }
}
