package io.flux2.assets.catalog;

import io.flux2.assets.Asset;
import io.r2dbc.spi.Readable;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The metadata rows in {@code assets.assets}: what exists, whose it is, and where its bytes are. */
@Component
public class AssetCatalog {

    private static final String COLUMNS =
            "id, tenant_id, kind, object_key, content_type, size_bytes, sha256, created_at, job_id, width, height";

    private final DatabaseClient db;

    public AssetCatalog(DatabaseClient db) {
        this.db = db;
    }

    public Mono<Asset> insert(Asset asset) {
        var insert = db.sql("insert into assets.assets (" + COLUMNS + ") values "
                        + "(:id, :tenant, :kind, :key, :type, :size, :sha, :at, :job, :width, :height)")
                .bind("id", asset.id())
                .bind("tenant", asset.tenantId())
                .bind("kind", asset.kind())
                .bind("key", asset.key())
                .bind("type", asset.contentType())
                .bind("size", asset.size())
                .bind("sha", asset.sha256())
                .bind("at", asset.createdAt().atOffset(ZoneOffset.UTC));
        insert = asset.jobId() == null ? insert.bindNull("job", String.class) : insert.bind("job", asset.jobId());
        insert = asset.width() == null ? insert.bindNull("width", Integer.class) : insert.bind("width", asset.width());
        insert = asset.height() == null ? insert.bindNull("height", Integer.class) : insert.bind("height", asset.height());
        return insert.then()
                .thenReturn(asset);
    }

    public Mono<Asset> find(UUID id) {
        return db.sql("select " + COLUMNS + " from assets.assets where id = :id")
                .bind("id", id)
                .map(AssetCatalog::toAsset)
                .one();
    }

    public Mono<Asset> findByKey(String key) {
        return db.sql("select " + COLUMNS + " from assets.assets where object_key = :key")
                .bind("key", key)
                .map(AssetCatalog::toAsset)
                .one();
    }

    /** The tenant's reference with these exact normalised bytes, if one is stored. */
    public Mono<Asset> findReference(String tenantId, String sha256) {
        return db.sql("select " + COLUMNS + " from assets.assets where tenant_id = :tenant and kind = 'reference'"
                        + " and sha256 = :sha order by created_at limit 1")
                .bind("tenant", tenantId)
                .bind("sha", sha256)
                .map(AssetCatalog::toAsset)
                .one();
    }

    /**
     * Records that a reference was made (again) from a file with this sha256, as the client sent it, and keeps
     * only the {@code keep} most recent: the hashes travel in a header and a query string.
     */
    public Mono<Void> addSource(UUID assetId, String sourceSha256, int keep) {
        return db.sql("insert into assets.reference_sources (asset_id, source_sha256) values (:id, :sha) "
                        + "on conflict (asset_id, source_sha256) do update set added_at = now()")
                .bind("id", assetId).bind("sha", sourceSha256).then()
                .then(db.sql("delete from assets.reference_sources where asset_id = :id and source_sha256 not in "
                                + "(select source_sha256 from assets.reference_sources where asset_id = :id "
                                + "order by added_at desc, source_sha256 limit :keep)")
                        .bind("id", assetId).bind("keep", keep).then());
    }

    /** The sha256 of the files the reference was made from, the most recent first, at most {@code limit}. */
    public Mono<List<String>> sources(UUID assetId, int limit) {
        return db.sql("select source_sha256 from assets.reference_sources where asset_id = :id "
                        + "order by added_at desc, source_sha256 limit :limit")
                .bind("id", assetId).bind("limit", limit)
                .map(row -> row.get("source_sha256", String.class))
                .all()
                .collectList();
    }

    /** Marks the asset used at {@code at}; false when its row is gone (the retention sweep took it). */
    public Mono<Boolean> touch(UUID id, Instant at) {
        return db.sql("update assets.assets set last_used_at = :at where id = :id")
                .bind("id", id).bind("at", at.atOffset(ZoneOffset.UTC))
                .fetch().rowsUpdated().map(rows -> rows > 0);
    }

    /**
     * Deletes the row if the asset is still unused since {@code cutoff}: a use after the sweep chose it keeps it.
     * The row stays locked to the end of the caller's transaction, so a concurrent touch waits and then misses.
     */
    public Mono<Boolean> deleteIfUnusedSince(UUID id, Instant cutoff) {
        return db.sql("delete from assets.assets where id = :id and coalesce(last_used_at, created_at) < :cutoff")
                .bind("id", id).bind("cutoff", cutoff.atOffset(ZoneOffset.UTC))
                .fetch().rowsUpdated().map(rows -> rows > 0);
    }

    /** Assets of a kind not created or used since {@code cutoff}, oldest first. */
    public Flux<Asset> expired(String kind, Instant cutoff, int limit) {
        return db.sql("select " + COLUMNS + " from assets.assets where kind = :kind"
                        + " and coalesce(last_used_at, created_at) < :cutoff"
                        + " order by coalesce(last_used_at, created_at) limit :limit")
                .bind("kind", kind)
                .bind("cutoff", cutoff.atOffset(ZoneOffset.UTC))
                .bind("limit", limit)
                .map(AssetCatalog::toAsset)
                .all();
    }

    public Mono<Void> delete(UUID id) {
        return db.sql("delete from assets.assets where id = :id").bind("id", id).then();
    }

    private static Asset toAsset(Readable row) {
        Long size = row.get("size_bytes", Long.class);
        OffsetDateTime createdAt = row.get("created_at", OffsetDateTime.class);
        return new Asset(row.get("id", UUID.class), row.get("tenant_id", String.class), row.get("kind", String.class),
                row.get("object_key", String.class), row.get("content_type", String.class),
                size == null ? 0 : size, row.get("sha256", String.class),
                createdAt == null ? null : createdAt.toInstant(), row.get("job_id", String.class),
                row.get("width", Integer.class), row.get("height", Integer.class));
    }
}
