package io.flux2.jobs.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.jobs.support.JobServiceTest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;

class ListAndUsageTest extends JobServiceTest {

    @Test
    void listPagesNewestFirstWithAnOpaqueCursorAndACappedLimit() {
        String tenant = uniqueTenant();
        List<Object> created = new ArrayList<>();
        for (int i = 0; i < 7; i++) {
            created.add(createJob(tenant, uniqueModel(), "a picture " + i).get("id"));
        }
        createJob(uniqueTenant(), uniqueModel(), "someone else's");

        // max-limit is 5 in tests: asking for 50 gets 5.
        Map<String, Object> first = body(get("/internal/jobs?tenantId={t}&limit=50", tenant).expectStatus().isOk());
        Map<String, Object> second = body(get("/internal/jobs?tenantId={t}&limit=50&cursor={c}", tenant,
                first.get("nextCursor")).expectStatus().isOk());

        List<Object> listed = new ArrayList<>();
        listed.addAll(ids(first));
        listed.addAll(ids(second));
        assertThat(ids(first)).hasSize(5);
        List<Object> newestFirst = new ArrayList<>(created);
        java.util.Collections.reverse(newestFirst);
        assertThat(listed).containsExactlyElementsOf(newestFirst);
        assertThat(second).doesNotContainKey("nextCursor");

        expectProblem(get("/internal/jobs?tenantId={t}&cursor=garbage!", tenant), HttpStatus.UNPROCESSABLE_CONTENT);
        expectProblem(get("/internal/jobs?tenantId={t}&limit=0", tenant), HttpStatus.UNPROCESSABLE_CONTENT);
        assertThat(ids(body(get("/internal/jobs?tenantId={t}", uniqueTenant()).expectStatus().isOk()))).isEmpty();
    }

    /**
     * Billing: READY full cost and megapixels, REQUEST_MODERATED not counted, CANCELLED while queued nothing,
     * CANCELLED after 1 of 4 steps a quarter.
     */
    @Test
    void usageCountsWhatWasRunAndProRatesCancels() {
        String tenant = uniqueTenant();
        Instant from = Instant.now().minusSeconds(5);

        String model = uniqueModel();
        Object ready = created(tenant, "pro", model, "a bridge", "4.5");
        awaitStatus(ready, tenant, "QUEUED");
        runToReady(ready, tenant, model, 4);

        created(tenant, "pro", uniqueModel(), "forbidden thing", "4.5");

        Object queuedCancel = created(tenant, "klein", uniqueModel(), "a queued cat", "2");
        awaitStatus(queuedCancel, tenant, "QUEUED");
        post("/internal/jobs/{id}/cancel?tenantId={t}", queuedCancel, tenant).exchange().expectStatus().isOk();

        String runningModel = uniqueModel();
        Object runningCancel = created(tenant, "klein", runningModel, "a running dog", "2");
        awaitStatus(runningCancel, tenant, "QUEUED");
        Map<String, Object> lease = lease("w", runningModel, 0);
        post("/internal/jobs/{id}/cancel?tenantId={t}", runningCancel, tenant).exchange().expectStatus().isOk();
        leaseAction(lease.get("leaseId"), "cancelled", Map.of("stepsRun", 1)).expectStatus().isOk();
        awaitStatus(runningCancel, tenant, "CANCELLED");

        Map<String, Object> usage = body(get("/internal/usage?tenantId={t}&from={f}&to={to}", tenant, from,
                Instant.now().plusSeconds(5)).expectStatus().isOk());

        assertThat(usage).containsEntry("jobs", 3);
        assertThat(((Number) usage.get("credits")).doubleValue()).isEqualTo(5.0);
        assertThat(((Number) usage.get("megapixels")).doubleValue()).isCloseTo(0.25 * 1.25,
                org.assertj.core.data.Offset.offset(1e-6));
        Map<?, ?> byTier = (Map<?, ?>) usage.get("byTier");
        assertThat(((Map<?, ?>) byTier.get("pro")).get("jobs")).isEqualTo(1);
        assertThat(((Number) ((Map<?, ?>) byTier.get("klein")).get("credits")).doubleValue()).isEqualTo(0.5);

        Map<String, Object> before = body(get("/internal/usage?tenantId={t}&to={to}", tenant, from).expectStatus().isOk());
        assertThat(before).containsEntry("jobs", 0);
        expectProblem(get("/internal/usage?tenantId={t}&from=yesterday", tenant), HttpStatus.UNPROCESSABLE_CONTENT);
    }

    private Object created(String tenant, String tier, String model, String prompt, String cost) {
        Map<String, Object> body = jobBody(tenant, model, prompt);
        body.put("tier", tier);
        body.put("cost", new java.math.BigDecimal(cost));
        body.put("apiKeyId", "key-1");
        Map<String, Object> job = body(create(body).expectStatus().isCreated());
        assertThat(job).containsEntry("apiKeyId", "key-1");
        return job.get("id");
    }

    private static List<Object> ids(Map<String, Object> page) {
        return ((List<?>) page.get("items")).stream().map(item -> ((Map<?, ?>) item).get("id")).map(Object.class::cast)
                .toList();
    }
}
