package io.flux2.jobs.events;

import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads a job's history. The history is written by the statements that change a job (see
 * {@code store.Transitions}), never from here, so it cannot drift from the jobs table.
 */
@Component
public class JobEventLog {

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final DatabaseClient db;
    private final ObjectMapper json;

    public JobEventLog(DatabaseClient db, ObjectMapper json) {
        this.db = db;
        this.json = json;
    }

    /** The job's events, oldest first, starting after event {@code afterId} (0 for all). */
    public Flux<JobEvent> events(UUID jobId, long afterId) {
        return db.sql("""
                        select id, job_id, type, data::text as data, created_at from jobs.job_events
                        where job_id = :jobId and id > :afterId order by id
                        """)
                .bind("jobId", jobId)
                .bind("afterId", afterId)
                .map(row -> new JobEvent(
                        row.get("id", Long.class),
                        row.get("job_id", UUID.class),
                        row.get("type", String.class),
                        json.readValue(row.get("data", String.class), MAP),
                        row.get("created_at", Instant.class)))
                .all();
    }
}
