package io.flux2.jobs.metrics;

import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.PeriodicTask;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.atomic.AtomicLong;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;

/**
 * {@code flux.jobs.queued} (Prometheus: {@code flux_jobs_queued}): the number of QUEUED jobs in the whole
 * queue, recounted every refresh interval. Every replica reports the same number; KEDA scales the GPU
 * pods on it (take the max over replicas, not the sum).
 */
@Component
public class QueueDepthGauge extends PeriodicTask {

    private final DatabaseClient db;
    private final AtomicLong queued = new AtomicLong();

    public QueueDepthGauge(DatabaseClient db, MeterRegistry registry, JobsProperties properties) {
        super("queue depth gauge", properties.metrics().refreshInterval());
        this.db = db;
        Gauge.builder("flux.jobs.queued", queued, AtomicLong::get)
                .description("Jobs waiting in the queue for an inference worker")
                .register(registry);
    }

    @Override
    protected Flux<?> sweep() {
        return db.sql("select count(*) as queued from jobs.jobs where status = 'QUEUED'")
                .map(row -> row.get("queued", Long.class))
                .one()
                .doOnNext(queued::set)
                .flux();
    }
}
