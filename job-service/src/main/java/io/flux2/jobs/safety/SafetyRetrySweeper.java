package io.flux2.jobs.safety;

import io.flux2.jobs.Job;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.PeriodicTask;
import io.flux2.jobs.store.JobRows;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;

/**
 * Retries the safety steps that are due: prompt checks and output checks that got no verdict, and
 * deletions of moderated outputs that failed. Each sweep claims its batch by pushing the jobs' next check
 * time forward in one statement (SKIP LOCKED), so replicas share the work instead of repeating it.
 */
@Component
public class SafetyRetrySweeper extends PeriodicTask {

    private final DatabaseClient db;
    private final JobRows rows;
    private final SafetyGate gate;
    private final JobsProperties.Safety settings;

    public SafetyRetrySweeper(DatabaseClient db, JobRows rows, SafetyGate gate, JobsProperties properties) {
        super("safety retry sweep", properties.safety().sweepInterval());
        this.db = db;
        this.rows = rows;
        this.gate = gate;
        this.settings = properties.safety();
    }

    @Override
    protected Flux<Job> sweep() {
        return db.sql("""
                        update jobs.jobs j
                        set next_check_at = now() + :retryDelayMs * interval '1 millisecond'
                        where j.id in (select q.id from jobs.jobs q
                                       where q.next_check_at <= now()
                                       order by q.next_check_at
                                       limit :batchSize
                                       for update skip locked)
                        returning %s
                        """.formatted(JobRows.columns("j")))
                .bind("retryDelayMs", settings.retryDelay().toMillis())
                .bind("batchSize", settings.batchSize())
                .map(rows::toJob)
                .all()
                .collectList()
                .flatMapMany(due -> Flux.fromIterable(due).flatMap(gate::resume, settings.concurrency()));
    }
}
