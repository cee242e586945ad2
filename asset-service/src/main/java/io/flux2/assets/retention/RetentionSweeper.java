package io.flux2.assets.retention;

import io.flux2.assets.AssetKind;
import io.flux2.assets.AssetProperties;
import io.flux2.assets.Assets;
import io.flux2.assets.catalog.AssetCatalog;
import io.flux2.assets.store.ObjectStore;
import io.flux2.common.lifecycle.SubscriptionLifecycle;
import io.minio.SetBucketLifecycleArgs;
import io.minio.messages.Expiration;
import io.minio.messages.LifecycleConfiguration;
import io.minio.messages.LifecycleRule;
import io.minio.messages.RuleFilter;
import io.minio.messages.Status;
import io.minio.messages.Tag;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Deletes outputs older than {@code flux.assets.retention.outputs} and references not used for
 * {@code references}: row and object in one transaction, and only if still unused (Assets#expire), in batches,
 * every {@code sweep-interval}. Any replica may
 * sweep; deleting what another replica already deleted is harmless. Where the store supports it
 * ({@code bucket-lifecycle: true}), lifecycle rules on the objects' kind tag expire objects a day after the
 * sweeper would have, as a backstop should the sweeper not run.
 */
@Component
public class RetentionSweeper extends SubscriptionLifecycle {

    private static final Logger log = LoggerFactory.getLogger(RetentionSweeper.class);

    private final AssetCatalog catalog;
    private final Assets assets;
    private final ObjectStore store;
    private final AssetProperties.Retention retention;

    public RetentionSweeper(AssetCatalog catalog, Assets assets, ObjectStore store, AssetProperties properties) {
        this.catalog = catalog;
        this.assets = assets;
        this.store = store;
        this.retention = properties.retention();
    }

    /** One round over both kinds; the number of assets deleted. */
    public Mono<Long> sweepOnce() {
        Instant now = Instant.now();
        return sweep(AssetKind.OUTPUT, now.minus(retention.outputs()))
                .zipWith(sweep(AssetKind.REFERENCE, now.minus(retention.references())), Long::sum);
    }

    private Mono<Long> sweep(AssetKind kind, Instant cutoff) {
        return catalog.expired(kind.wire(), cutoff, retention.batchSize())
                .concatMap(asset -> assets.expire(asset, cutoff).filter(deleted -> deleted).map(deleted -> 1L)
                        .onErrorResume(e -> {
                            log.warn("Could not expire asset {}: {}", asset.id(), e.toString());
                            return Mono.empty();
                        }))
                .count();
    }

    @Override
    protected Disposable subscribe() {
        Duration every = retention.sweepInterval();
        if (retention.bucketLifecycle()) {
            Mono.fromRunnable(this::installLifecycle).subscribeOn(Schedulers.boundedElastic())
                    .delaySubscription(Duration.ofSeconds(5))
                    .subscribe(null, e -> log.warn("Bucket lifecycle rules not installed: {}", e.toString()));
        }
        if (every.isZero() || every.isNegative()) {
            return null;
        }
        return Flux.interval(every, every)
                .onBackpressureDrop()
                .concatMap(tick -> sweepOnce()
                        .doOnNext(n -> {
                            if (n > 0) {
                                log.info("Retention sweep deleted {} assets", n);
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("Retention sweep failed: {}", e.toString());
                            return Mono.empty();
                        }))
                .subscribe();
    }

    private void installLifecycle() {
        try {
            List<LifecycleRule> rules = List.of(
                    rule("flux2-outputs", AssetKind.OUTPUT, retention.outputs()),
                    rule("flux2-references", AssetKind.REFERENCE, retention.references()));
            store.clients().operations().setBucketLifecycle(SetBucketLifecycleArgs.builder()
                    .bucket(store.bucket()).config(new LifecycleConfiguration(rules)).build());
            log.info("Bucket lifecycle rules installed on {}", store.bucket());
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    private static LifecycleRule rule(String id, AssetKind kind, Duration keep) {
        int days = (int) Math.max(1, (keep.toHours() + 23) / 24) + 1;
        return new LifecycleRule(Status.ENABLED, null, new Expiration((io.minio.messages.ResponseDate) null, days, null),
                new RuleFilter(new Tag("flux2-kind", kind.wire())), id, null, null, null);
    }
}
