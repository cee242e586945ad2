package io.flux2.jobs.store;

import io.flux2.jobs.GenerationRequest;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobResult;
import io.flux2.jobs.JobStatus;
import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import org.springframework.stereotype.Component;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/**
 * Turns rows of {@code jobs.jobs} into {@link Job}s and values into jsonb text. Queries select
 * {@link #COLUMNS}, which hands jsonb over as text so no driver-specific JSON type leaks out of here.
 */
@Component
public class JobRows {

    /** The select list every job query uses; {@code t} is the table or CTE alias. */
    public static String columns(String t) {
        return String.join(", ",
                t + ".id", t + ".tenant_id", t + ".tier", t + ".model", t + ".priority", t + ".status",
                t + ".request::text as request", t + ".result::text as result", t + ".details::text as details",
                t + ".progress", t + ".attempts", t + ".max_attempts", t + ".lease_id", t + ".lease_owner",
                t + ".lease_expires_at", t + ".cancel_requested", t + ".available_at", t + ".next_check_at",
                t + ".created_at", t + ".updated_at", t + ".api_key_id", t + ".cost", t + ".steps_run",
                t + ".total_steps");
    }

    private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {
    };

    private final ObjectMapper json;

    public JobRows(ObjectMapper json) {
        this.json = json;
    }

    public Job toJob(Readable row) {
        Float progress = row.get("progress", Float.class);
        return new Job(
                row.get("id", UUID.class),
                row.get("tenant_id", String.class),
                row.get("tier", String.class),
                row.get("model", String.class),
                row.get("priority", Integer.class),
                JobStatus.valueOf(row.get("status", String.class)),
                read(row.get("request", String.class), GenerationRequest.class),
                read(row.get("result", String.class), JobResult.class),
                readMap(row.get("details", String.class)),
                progress == null ? 0 : progress,
                row.get("attempts", Integer.class),
                row.get("max_attempts", Integer.class),
                row.get("lease_id", UUID.class),
                row.get("lease_owner", String.class),
                row.get("lease_expires_at", Instant.class),
                Boolean.TRUE.equals(row.get("cancel_requested", Boolean.class)),
                row.get("available_at", Instant.class),
                row.get("next_check_at", Instant.class),
                row.get("created_at", Instant.class),
                row.get("updated_at", Instant.class),
                row.get("api_key_id", String.class),
                row.get("cost", BigDecimal.class),
                row.get("steps_run", Integer.class),
                row.get("total_steps", Integer.class));
    }

    /** The value as JSON text, to bind to a {@code ::jsonb} parameter. */
    public String toJson(Object value) {
        return json.writeValueAsString(value);
    }

    private <T> T read(String text, Class<T> type) {
        return text == null ? null : json.readValue(text, type);
    }

    private Map<String, Object> readMap(String text) {
        return text == null ? null : json.readValue(text, MAP);
    }
}
