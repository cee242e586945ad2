package io.flux2.jobs.retention;

import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.PeriodicTask;
import io.flux2.jobs.assets.AssetClient;
import io.flux2.jobs.usage.Usage;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes finished jobs whose last change is older than the retention, with their events, webhook
 * deliveries and idempotency keys (cascading foreign keys), after asking asset-service to delete their
 * output (idempotent, so two replicas sweeping the same job do no harm). A job whose output cannot be
 * deleted now stays for the next sweep. Expired idempotency keys go too. Reference assets are not
 * deleted: they belong to the tenant and may be reused (asset-service's own retention handles them).
 */
@Component
public class RetentionSweeper extends PeriodicTask {

    private static final Logger log = LoggerFactory.getLogger(RetentionSweeper.class);

    private final DatabaseClient db;
    private final AssetClient assets;
    private final JobsProperties properties;

    public RetentionSweeper(DatabaseClient db, AssetClient assets, JobsProperties properties) {
        super("retention sweep", properties.retention().sweepInterval());
        this.db = db;
        this.assets = assets;
        this.properties = properties;
    }

    @Override
    protected Flux<?> sweep() {
        return expiredKeys().thenMany(db.sql("""
                        select j.id, j.result->>'assetId' as asset_id from jobs.jobs j
                        where j.status in ('READY', 'REQUEST_MODERATED', 'CONTENT_MODERATED', 'ERROR', 'CANCELLED')
                          and j.updated_at < now() - :maxAgeMs * interval '1 millisecond'
                        order by j.updated_at
                        limit :batchSize
                        """)
                .bind("maxAgeMs", properties.retention().maxAge().toMillis())
                .bind("batchSize", properties.retention().batchSize())
                .map(row -> new Expired(row.get("id", UUID.class), row.get("asset_id", String.class)))
                .all()
                .concatMap(this::delete));
    }

    private Mono<UUID> delete(Expired job) {
        Mono<Void> output = job.assetId() == null ? Mono.empty() : assets.delete(job.assetId());
        return output
                // What the job was billed outlives it, in the same statement: usage and spend caps never drop.
                .then(db.sql("""
                                with gone as (
                                    delete from jobs.jobs j
                                    where j.id = :id
                                      and j.status in ('READY', 'REQUEST_MODERATED', 'CONTENT_MODERATED', 'ERROR',
                                                       'CANCELLED')
                                    returning j.*
                                )
                                insert into jobs.usage_archive (job_id, tenant_id, tier, created_at, megapixels, credits)
                                select j.id, j.tenant_id, j.tier, j.created_at, %s, %s
                                from gone j where j.status <> 'REQUEST_MODERATED'
                                on conflict (job_id) do nothing
                                """.formatted(Usage.BILLED_MEGAPIXELS, Usage.BILLED_CREDITS))
                        .bind("id", job.id())
                        .fetch().rowsUpdated())
                .doOnNext(deleted -> log.debug("Deleted expired job {} (output {})", job.id(), job.assetId()))
                .thenReturn(job.id())
                .onErrorResume(e -> {
                    log.warn("Could not delete expired job {} (output {}) yet: {}", job.id(), job.assetId(), e.toString());
                    return Mono.empty();
                });
    }

    private Mono<Long> expiredKeys() {
        return db.sql("delete from jobs.idempotency_keys where created_at < now() - :ttlMs * interval '1 millisecond'")
                .bind("ttlMs", properties.idempotency().ttl().toMillis())
                .fetch().rowsUpdated();
    }

    private record Expired(UUID id, String assetId) {
    }
}
