package io.flux2.assets;

import io.flux2.assets.catalog.AssetCatalog;
import io.flux2.assets.store.ObjectStore;
import io.flux2.common.problem.ApiProblem;
import java.io.InputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HexFormat;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Assets as a whole: the object in the bucket and its row in the catalog, kept in step. The object is
 * written before the row and deleted before the row, so a row never points at bytes that were never
 * stored, and a failed delete leaves a row from which the delete can be repeated.
 */
@Component
public class Assets {

    private static final Logger log = LoggerFactory.getLogger(Assets.class);

    private final ObjectStore store;
    private final AssetCatalog catalog;

    public Assets(ObjectStore store, AssetCatalog catalog) {
        this.store = store;
        this.catalog = catalog;
    }

    /** Stores checked bytes: the caller has already matched {@code type} against them. */
    public Mono<Asset> store(String tenantId, AssetKind kind, String jobId, ImageType type, byte[] bytes) {
        UUID id = UUID.randomUUID();
        String key = tenantId + "/" + kind.folder() + "/" + id + "." + type.extension();
        // Microseconds: what PostgreSQL keeps, so the answer equals what a later read returns.
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Asset asset = new Asset(id, tenantId, kind.wire(), key, type.contentType(), bytes.length, sha256(bytes),
                now, jobId);
        return store.put(key, bytes, type.contentType())
                .then(catalog.insert(asset)
                        .onErrorResume(error -> store.delete(key)
                                .doOnError(e -> log.warn("Orphaned object {} after a failed insert", key, e))
                                .onErrorResume(e -> Mono.empty())
                                .then(Mono.error(error))));
    }

    /** @param tenantId when given, an asset of another tenant is reported as not found */
    public Mono<Asset> find(UUID id, String tenantId) {
        return catalog.find(id)
                .filter(asset -> tenantId == null || asset.tenantId().equals(tenantId))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Asset " + id)));
    }

    public Mono<AssetContent> content(UUID id, String tenantId) {
        return find(id, tenantId).flatMap(asset -> store.open(asset.key()).map(in -> new AssetContent(asset, in)));
    }

    public Mono<PresignedUrl> presign(UUID id, String tenantId, Duration ttl) {
        return find(id, tenantId).flatMap(asset -> {
            Instant expiresAt = Instant.now().plus(ttl).truncatedTo(ChronoUnit.SECONDS);
            return store.presignGet(asset.key(), ttl).map(url -> new PresignedUrl(url, expiresAt));
        });
    }

    /** Deleting what is already gone succeeds, so a caller's retry after a lost answer is harmless. */
    public Mono<Void> delete(UUID id, String tenantId) {
        return catalog.find(id).flatMap(asset -> {
            if (tenantId != null && !asset.tenantId().equals(tenantId)) {
                return Mono.error(ApiProblem.notFound("Asset " + id));
            }
            return store.delete(asset.key()).then(catalog.delete(id));
        });
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("Every JVM has SHA-256", e);
        }
    }

    /** An asset with its bytes opened; the stream belongs to whoever sends it. */
    public record AssetContent(Asset asset, InputStream bytes) {
    }
}
