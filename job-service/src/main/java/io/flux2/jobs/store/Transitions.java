package io.flux2.jobs.store;

import io.flux2.jobs.Job;
import java.util.function.UnaryOperator;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.DatabaseClient.GenericExecuteSpec;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Runs one guarded UPDATE of {@code jobs.jobs} and appends one event per changed row in the same
 * statement, so the history can never miss a transition nor record one that did not happen, and two
 * replicas racing for the same change simply see one of them match no row.
 */
@Component
public class Transitions {

    private final DatabaseClient db;
    private final JobRows rows;

    public Transitions(DatabaseClient db, JobRows rows) {
        this.db = db;
        this.rows = rows;
    }

    /**
     * @param update    an {@code update jobs.jobs j set ... where ...} without {@code returning}
     * @param eventType SQL expression over the changed row's columns (e.g. a literal {@code 'READY'})
     * @param eventData SQL expression giving the event's jsonb data from the changed row and the binds
     * @param binds     binds the named parameters of all three
     * @return the changed jobs as they are now; empty when the guard matched nothing
     */
    public Flux<Job> apply(String update, String eventType, String eventData, UnaryOperator<GenericExecuteSpec> binds) {
        String sql = """
                with changed as (
                    %s
                    returning j.*
                ), logged as (
                    insert into jobs.job_events (job_id, type, data)
                    select c.id, %s, %s from changed c
                )
                select %s from changed c
                """.formatted(update, eventType, eventData, JobRows.columns("c"));
        return binds.apply(db.sql(sql)).map(rows::toJob).all();
    }

    /** As {@link #apply} for an update that matches at most one row. */
    public Mono<Job> applyOne(String update, String eventType, String eventData, UnaryOperator<GenericExecuteSpec> binds) {
        return apply(update, eventType, eventData, binds).singleOrEmpty();
    }
}
