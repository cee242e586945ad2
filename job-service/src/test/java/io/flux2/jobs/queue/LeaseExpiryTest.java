package io.flux2.jobs.queue;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.jobs.support.JobServiceTest;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.http.HttpStatus;
import org.springframework.r2dbc.core.DatabaseClient;

class LeaseExpiryTest extends JobServiceTest {

    @Autowired
    DatabaseClient db;

    @Test
    void expiredLeaseGoesBackToTheQueueThenFailsAfterMaxAttempts() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");

        Map<String, Object> first = lease("doomed-1", model, 0);
        Map<String, Object> requeued = awaitStatus(jobId, tenant, "QUEUED");
        assertThat(requeued).containsEntry("attempts", 1).doesNotContainKey("details");
        // Back in the queue after the retry backoff (200 ms in tests), not at once.
        assertThat(db.sql("select extract(epoch from available_at - updated_at) * 1000 as ms from jobs.jobs where id = :id")
                .bind("id", UUID.fromString((String) jobId)).map(row -> row.get("ms", Double.class)).one().block())
                .isEqualTo(200.0, org.assertj.core.data.Offset.offset(1.0));
        expectProblem(leaseAction(first.get("leaseId"), "heartbeat", Map.of("step", 3, "totalSteps", 4)),
                HttpStatus.GONE);

        Map<String, Object> second = lease("doomed-2", model, 3000);
        assertThat(second).containsEntry("attempt", 2);
        Map<String, Object> failed = awaitStatus(jobId, tenant, "ERROR");
        assertThat(failed).containsEntry("attempts", 2)
                .containsEntry("details", Map.of("message", "lease expired 2 times"));
        expectProblem(leaseAction(second.get("leaseId"), "complete", Map.of("assetId", "late")), HttpStatus.GONE);
    }

    @Test
    void heartbeatsKeepALeaseAlivePastItsDuration() throws InterruptedException {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");
        Map<String, Object> lease = lease("steady", model, 0);

        for (int step = 1; step <= 8; step++) {
            Thread.sleep(300);
            leaseAction(lease.get("leaseId"), "heartbeat", Map.of("step", step, "totalSteps", 8))
                    .expectStatus().isOk();
        }
        assertThat(getJob(jobId, tenant)).containsEntry("status", "RUNNING").containsEntry("attempts", 1)
                .containsEntry("progress", 1.0);
    }
}
