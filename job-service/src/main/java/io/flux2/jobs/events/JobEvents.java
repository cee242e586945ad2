package io.flux2.jobs.events;

import io.flux2.jobs.Job;
import io.flux2.jobs.JobStatus;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.store.JobStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * A job's history in the public vocabulary, read once or followed as a stream. The internal history
 * ({@link JobEventLog}) has more entries (CREATED, COMPLETED, CANCEL_REQUESTED, OUTPUT_DELETED, ...); those
 * that mean nothing to a client are left out, so public ids have gaps but stay increasing.
 */
@Component
public class JobEvents {

    private final JobEventLog log;
    private final JobStore store;
    private final EventSignal signal;
    private final DatabaseClient db;
    private final Duration pollInterval;

    public JobEvents(JobEventLog log, JobStore store, EventSignal signal, DatabaseClient db,
            JobsProperties properties) {
        this.log = log;
        this.store = store;
        this.signal = signal;
        this.db = db;
        this.pollInterval = properties.events().pollInterval();
    }

    /** The job's public events after {@code after}, oldest first. */
    public Flux<PublicEvent> events(Job job, long after) {
        return batch(job.id(), after).flatMapIterable(Batch::events);
    }

    /**
     * Follows the job: its events after {@code after}, then each new one as it is appended (woken by the
     * {@code job_events} NOTIFY, or the poll interval), ending after the terminal event, or at once when the
     * job had already ended and nothing after {@code after} is left to send.
     */
    public Flux<PublicEvent> stream(UUID jobId, long after) {
        AtomicLong last = new AtomicLong(after);
        Flux<Object> wakeups = Flux.merge(Flux.interval(pollInterval),
                signal.appendedJobs().filter(id -> id.equals(jobId) || id.equals(EventSignal.ANY_JOB)));
        return Flux.concat(Mono.just(0L), wakeups)
                .onBackpressureLatest()
                .concatMap(tick -> batch(jobId, last.get()), 0)
                .doOnNext(batch -> batch.events().forEach(event -> last.set(Math.max(last.get(), event.id()))))
                .takeUntil(Batch::ends)
                .flatMapIterable(Batch::events);
    }

    /**
     * The job is read before its events: if it had ended, its terminal event is among them (or before after).
     * An event committed between the two reads can say more than that snapshot (the job became READY in
     * between), so then the job is read again, and the succeeded event carries the result.
     */
    private Mono<Batch> batch(UUID jobId, long after) {
        return store.find(jobId).flatMap(job -> log.events(jobId, after).collectList().flatMap(events ->
                (!job.status().isFinal() && events.stream().anyMatch(JobEvents::endsTheJob)
                        ? store.find(jobId) : Mono.just(job))
                        .flatMap(current -> batchOf(current, events))));
    }

    private Mono<Batch> batchOf(Job job, List<JobEvent> events) {
        List<PublicEvent> shown = new ArrayList<>();
        for (JobEvent event : events) {
            PublicEvent mapped = toPublic(job, event);
            if (mapped != null) {
                shown.add(mapped);
            }
        }
        boolean ends = job.status().isFinal() || shown.stream().anyMatch(PublicEvent::terminal);
        return withPosition(job, shown).map(withPosition -> new Batch(withPosition, ends));
    }

    private static boolean endsTheJob(JobEvent event) {
        Object status = event.data().get("status");
        for (JobStatus candidate : JobStatus.values()) {
            if (candidate.name().equals(status)) {
                return candidate.isFinal();
            }
        }
        return false;
    }

    /** The last queued event of a job still in the queue says how many jobs are ahead of it now. */
    private Mono<List<PublicEvent>> withPosition(Job job, List<PublicEvent> events) {
        int lastQueued = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).event().equals("queued")) {
                lastQueued = i;
            }
        }
        if (lastQueued < 0 || job.status() != JobStatus.QUEUED) {
            return Mono.just(events);
        }
        int index = lastQueued;
        return position(job).map(position -> {
            List<PublicEvent> copy = new ArrayList<>(events);
            PublicEvent queued = copy.get(index);
            Map<String, Object> data = new LinkedHashMap<>(queued.data());
            data.put("position", position);
            copy.set(index, new PublicEvent(queued.id(), queued.event(), data, queued.createdAt()));
            return copy;
        });
    }

    /** Jobs of the same model that a lease would take before this one. */
    public Mono<Long> position(Job job) {
        return db.sql("""
                        select count(*) as ahead from jobs.jobs q
                        where q.status = 'QUEUED' and q.model = :model
                          and (q.priority > :priority or (q.priority = :priority and q.created_at < :createdAt))
                        """)
                .bind("model", job.model())
                .bind("priority", job.priority())
                .bind("createdAt", job.createdAt())
                .map(row -> row.get("ahead", Long.class))
                .one();
    }

    static PublicEvent toPublic(Job job, JobEvent event) {
        Object status = event.data().get("status");
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("jobId", job.id());
        data.put("status", status);
        String name;
        switch (event.type()) {
            case "PROGRESS" -> {
                name = "progress";
                data.put("step", event.data().get("step"));
                data.put("totalSteps", event.data().get("totalSteps"));
            }
            case "LEASED" -> {
                name = "started";
                data.put("attempt", event.data().get("attempt"));
            }
            case "REQUEST_MODERATED", "CONTENT_MODERATED" -> {
                name = "moderated";
                data.put("moderation_reasons", event.data().get("reasons"));
            }
            default -> {
                if ("QUEUED".equals(status)) {
                    name = "queued";
                    putIfPresent(data, "availableAt", event.data().get("availableAt"));
                } else if ("READY".equals(status) && event.type().equals("OUTPUT_PASSED")) {
                    name = "succeeded";
                    data.put("result", job.status() == JobStatus.READY ? job.result() : null);
                } else if ("ERROR".equals(status)) {
                    name = "failed";
                    Object message = event.data().get("message");
                    if (message == null && job.details() != null) {
                        message = job.details().get("message");
                    }
                    data.put("message", message);
                } else if ("CANCELLED".equals(status)) {
                    name = "cancelled";
                    putIfPresent(data, "stepsRun", event.data().get("stepsRun"));
                    putIfPresent(data, "totalSteps", job.totalSteps());
                } else {
                    return null;
                }
            }
        }
        data.values().removeIf(value -> value == null);
        return new PublicEvent(event.id(), name, data, event.createdAt());
    }

    private static void putIfPresent(Map<String, Object> data, String key, Object value) {
        if (value != null) {
            data.put(key, value);
        }
    }

    private record Batch(List<PublicEvent> events, boolean ends) {
    }
}
