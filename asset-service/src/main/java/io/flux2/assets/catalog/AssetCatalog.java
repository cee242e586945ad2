package io.flux2.assets.catalog;

import io.flux2.assets.Asset;
import io.r2dbc.spi.Readable;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/** The metadata rows in {@code assets.assets}: what exists, whose it is, and where its bytes are. */
@Component
public class AssetCatalog {

    private static final String COLUMNS =
            "id, tenant_id, kind, object_key, content_type, size_bytes, sha256, created_at, job_id";

    private final DatabaseClient db;

    public AssetCatalog(DatabaseClient db) {
        this.db = db;
    }

    public Mono<Asset> insert(Asset asset) {
        var insert = db.sql("insert into assets.assets (" + COLUMNS + ") values "
                        + "(:id, :tenant, :kind, :key, :type, :size, :sha, :at, :job)")
                .bind("id", asset.id())
                .bind("tenant", asset.tenantId())
                .bind("kind", asset.kind())
                .bind("key", asset.key())
                .bind("type", asset.contentType())
                .bind("size", asset.size())
                .bind("sha", asset.sha256())
                .bind("at", asset.createdAt().atOffset(ZoneOffset.UTC));
        insert = asset.jobId() == null ? insert.bindNull("job", String.class) : insert.bind("job", asset.jobId());
        return insert.then()
                .thenReturn(asset);
    }

    public Mono<Asset> find(UUID id) {
        return db.sql("select " + COLUMNS + " from assets.assets where id = :id")
                .bind("id", id)
                .map(AssetCatalog::toAsset)
                .one();
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
                createdAt == null ? null : createdAt.toInstant(), row.get("job_id", String.class));
    }
}
