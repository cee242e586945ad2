package io.flux2.jobs.notify;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.flux2.jobs.support.JobServiceTest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.TestPropertySource;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

/**
 * Its own job-service instance whose polling is far too slow to explain a quick wake-up: only the
 * LISTEN/NOTIFY path can. Jobs are queued behind its back by plain SQL (as another replica would), and the
 * LISTEN connection is killed to show it comes back.
 */
@TestPropertySource(properties = {
        "flux.jobs.leases.poll-interval=30s",
        "flux.jobs.leases.max-wait=20s",
        "flux.jobs.events.poll-interval=30s",
        "flux.jobs.listen.reconnect-delay=200ms",
})
class NotifyWakeupTest extends JobServiceTest {

    private static final Duration FAST = Duration.ofSeconds(4);

    @Autowired
    DatabaseClient db;

    @Autowired
    PgListener listener;

    @Test
    void jobQueuedByAnotherReplicaWakesAWaitingPollAlsoAfterTheListenConnectionDropped() throws Exception {
        await().atMost(PATIENCE).until(() -> listener.connectionsOpened() >= 1);
        assertWakesUp();

        long before = listener.connectionsOpened();
        db.sql("select pg_terminate_backend(pid) from pg_stat_activity where application_name = :name")
                .bind("name", PgListener.APPLICATION_NAME).then().block();
        await().atMost(PATIENCE).until(() -> listener.connectionsOpened() > before);

        assertWakesUp();
    }

    @Test
    void newEventWakesAnSseStream() throws Exception {
        String tenant = uniqueTenant();
        Object jobId = queuedJob(tenant, uniqueModel()).get("id");
        CompletableFuture<List<ServerSentEvent<Map<String, Object>>>> streamed = web.get()
                .uri("/internal/jobs/{id}/events/stream?tenantId={t}", jobId, tenant)
                .header("X-Internal-Token", TOKEN).accept(MediaType.TEXT_EVENT_STREAM)
                .exchange().expectStatus().isOk()
                .returnResult(new ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>>() {
                })
                .getResponseBody().filter(event -> event.event() != null).collectList().toFuture();
        Thread.sleep(500);
        Instant cancelled = Instant.now();
        post("/internal/jobs/{id}/cancel?tenantId={t}", jobId, tenant).exchange().expectStatus().isOk();

        List<ServerSentEvent<Map<String, Object>>> events = streamed.get(FAST.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(Duration.between(cancelled, Instant.now())).isLessThan(FAST);
        assertThat(events).extracting(ServerSentEvent::event).containsExactly("queued", "cancelled");
    }

    private void assertWakesUp() throws Exception {
        String model = uniqueModel();
        CompletableFuture<EntityExchangeResult<Map>> poll = CompletableFuture.supplyAsync(() -> post("/internal/leases")
                .bodyValue(Map.of("workerId", "listener-test", "models", List.of(model), "waitMillis", 15000))
                .exchange().expectBody(Map.class).returnResult());
        Thread.sleep(500);
        UUID jobId = UUID.randomUUID();
        Instant queued = Instant.now();
        db.sql("""
                        insert into jobs.jobs (id, tenant_id, tier, model, status, request, max_attempts)
                        values (:id, 'sql-tenant', 'klein', :model, 'QUEUED', '{"prompt": "by hand"}'::jsonb, 2)
                        """)
                .bind("id", jobId).bind("model", model).then().block();

        EntityExchangeResult<Map> answer = poll.get(20, TimeUnit.SECONDS);
        assertThat(Duration.between(queued, Instant.now())).isLessThan(FAST);
        assertThat(answer.getStatus().value()).isEqualTo(200);
        assertThat(answer.getResponseBody().get("jobId")).isEqualTo(jobId.toString());
    }
}
