package io.flux2.jobs.events;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.jobs.support.JobServiceTest;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;

class JobEventsTest extends JobServiceTest {

    private static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> SSE =
            new ParameterizedTypeReference<>() {
            };

    @Test
    void streamFollowsAJobFromQueuedToSucceededAndEnds() throws Exception {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        Object jobId = queuedJob(tenant, model).get("id");

        CompletableFuture<List<ServerSentEvent<Map<String, Object>>>> streamed =
                rawStream(jobId, tenant, null, null).collectList().toFuture();
        Thread.sleep(500);
        runToReady(jobId, tenant, model, 3);

        List<ServerSentEvent<Map<String, Object>>> raw = streamed.get(10, TimeUnit.SECONDS);
        // An idle stream sends comments (keepalive is 200 ms in tests) so proxies keep it open.
        assertThat(raw).anySatisfy(event -> assertThat(event.comment()).isEqualTo("keepalive"));
        List<ServerSentEvent<Map<String, Object>>> events = raw.stream().filter(e -> e.event() != null).toList();
        assertThat(events).extracting(ServerSentEvent::event)
                .containsExactly("queued", "started", "progress", "progress", "progress", "succeeded");
        assertThat(events.get(0).data()).containsEntry("status", "QUEUED").containsEntry("jobId", jobId);
        assertThat(events.get(1).data()).containsEntry("attempt", 1);
        assertThat(events.get(3).data()).containsEntry("step", 2).containsEntry("totalSteps", 3);
        assertThat(events.get(5).data()).containsEntry("status", "READY");
        assertThat(((Map<?, ?>) events.get(5).data().get("result")).get("contentType")).isEqualTo("image/png");
        List<Long> ids = events.stream().map(e -> Long.parseLong(e.id())).toList();
        assertThat(ids).isSorted().doesNotHaveDuplicates();

        // Resuming after "started" (query or Last-Event-ID) replays the rest and ends: the job has finished.
        assertThat(stream(jobId, tenant, ids.get(1), null).collectList().block(Duration.ofSeconds(10)))
                .extracting(ServerSentEvent::event).containsExactly("progress", "progress", "progress", "succeeded");
        assertThat(stream(jobId, tenant, null, ids.get(4)).collectList().block(Duration.ofSeconds(10)))
                .extracting(ServerSentEvent::event).containsExactly("succeeded");
        assertThat(stream(jobId, tenant, ids.get(5), null).collectList().block(Duration.ofSeconds(10))).isEmpty();

        // The same history, read once.
        List<Map> listed = get("/internal/jobs/{id}/events?tenantId={t}&after={a}", jobId, tenant, ids.get(2))
                .expectStatus().isOk().expectBodyList(Map.class).returnResult().getResponseBody();
        assertThat(listed).extracting(e -> e.get("event")).containsExactly("progress", "progress", "succeeded");
        assertThat(listed.get(0).keySet()).contains("id", "data", "createdAt");
    }

    @Test
    void queuedEventTellsThePositionInTheQueue() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        queuedJob(tenant, model);
        queuedJob(tenant, model);
        Object third = queuedJob(tenant, model).get("id");

        List<Map> listed = get("/internal/jobs/{id}/events?tenantId={t}", third, tenant)
                .expectStatus().isOk().expectBodyList(Map.class).returnResult().getResponseBody();
        assertThat(listed).hasSize(1);
        assertThat(((Map<?, ?>) listed.get(0).get("data")).get("position")).isEqualTo(2);
    }

    @Test
    void moderatedJobStreamEndsWithModerated() {
        String tenant = uniqueTenant();
        Object jobId = createJob(tenant, uniqueModel(), "something forbidden").get("id");
        List<ServerSentEvent<Map<String, Object>>> events =
                stream(jobId, tenant, null, null).collectList().block(Duration.ofSeconds(10));
        assertThat(events).extracting(ServerSentEvent::event).containsExactly("moderated");
        assertThat(events.get(0).data()).containsEntry("status", "REQUEST_MODERATED").containsKey("moderation_reasons");
    }

    @Test
    void anotherTenantsJobHasNoEvents() {
        String tenant = uniqueTenant();
        Object jobId = queuedJob(tenant, uniqueModel()).get("id");
        expectProblem(get("/internal/jobs/{id}/events?tenantId={t}", jobId, uniqueTenant()), HttpStatus.NOT_FOUND);
        web.get().uri("/internal/jobs/{id}/events/stream?tenantId={t}", jobId, uniqueTenant())
                .header("X-Internal-Token", TOKEN).accept(MediaType.TEXT_EVENT_STREAM)
                .exchange().expectStatus().isNotFound();
    }

    private reactor.core.publisher.Flux<ServerSentEvent<Map<String, Object>>> stream(Object jobId, String tenant,
            Long after, Long lastEventId) {
        return rawStream(jobId, tenant, after, lastEventId).filter(event -> event.event() != null);
    }

    private reactor.core.publisher.Flux<ServerSentEvent<Map<String, Object>>> rawStream(Object jobId, String tenant,
            Long after, Long lastEventId) {
        String uri = "/internal/jobs/" + jobId + "/events/stream?tenantId=" + tenant + (after == null ? "" : "&after=" + after);
        return web.get().uri(uri)
                .header("X-Internal-Token", TOKEN)
                .headers(h -> {
                    if (lastEventId != null) {
                        h.set("Last-Event-ID", lastEventId.toString());
                    }
                })
                .accept(MediaType.TEXT_EVENT_STREAM)
                .exchange()
                .expectStatus().isOk()
                .returnResult(SSE)
                .getResponseBody();
    }
}
