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
import java.util.List;
import java.util.Map;
import java.util.UUID;
import io.flux2.assets.images.ImageCodec;
import io.flux2.assets.images.ImageInspector;
import org.springframework.dao.DataIntegrityViolationException;
import reactor.core.scheduler.Schedulers;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
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
    private final ImageCodec codec;
    private final boolean tagObjects;
    private final TransactionalOperator transaction;
    private final Duration outputRetention;
    private final int maxSources;

    public Assets(ObjectStore store, AssetCatalog catalog, ImageCodec codec, AssetProperties properties,
            ReactiveTransactionManager transactions) {
        this.transaction = TransactionalOperator.create(transactions);
        this.outputRetention = properties.retention().outputs();
        this.maxSources = properties.images().maxReferenceSources();
        this.store = store;
        this.catalog = catalog;
        this.codec = codec;
        this.tagObjects = properties.retention().bucketLifecycle();
    }

    /** A stored asset, and whether this call created it (false: an identical reference was already there). */
    public record Stored(Asset asset, boolean created) {
    }

    /**
     * Stores a reference image: checked, normalised (orientation applied, metadata stripped, PNG) and
     * deduplicated per tenant by the sha256 of the normalised bytes, which also names the object.
     */
    public Mono<Stored> storeReference(String tenantId, String jobId, byte[] raw) {
        return Mono.fromCallable(() -> new Upload(sha256(raw), codec.normalize(raw)))
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(upload -> store(tenantId, jobId, upload.image())
                        // The file as sent, for hash blocklists: the normalised PNG's hash is one nobody lists.
                        .flatMap(stored -> catalog.addSource(stored.asset().id(), upload.sourceSha256(), maxSources)
                                .thenReturn(stored)));
    }

    /** An upload's hash as sent, and the image it normalises to. */
    private record Upload(String sourceSha256, ImageCodec.Normalized image) {
    }

    /** The normalised reference, stored or the tenant's identical one reused. */
    private Mono<Stored> store(String tenantId, String jobId, ImageCodec.Normalized normalized) {
        byte[] png = normalized.png();
        String sha = sha256(png);
        String key = tenantId + "/" + AssetKind.REFERENCE.folder() + "/" + sha + ".png";
        return reuse(tenantId, sha).switchIfEmpty(Mono.defer(() -> {
            Asset asset = new Asset(UUID.randomUUID(), tenantId, AssetKind.REFERENCE.wire(), key,
                    ImageType.PNG.contentType(), png.length, sha, now(), jobId, normalized.width(),
                    normalized.height());
            return write(asset, png)
                    .map(stored -> new Stored(stored, true))
                    // Another upload of the same picture won the race for the key.
                    .onErrorResume(DataIntegrityViolationException.class,
                            e -> catalog.findByKey(key).map(existing -> new Stored(existing, false)));
        }));
    }

    /**
     * A reference from an asset the tenant holds, named by its id. A reference is used as it is, and its last use
     * is now, so one reused by id every day is never swept. An output (JPEG, PNG or WebP, with provenance) becomes
     * a reference like any uploaded image: checked and normalised to PNG, which is all a worker has to read.
     */
    public Mono<Stored> asReference(UUID id, String tenantId, String jobId) {
        return find(id, tenantId).flatMap(asset -> {
            if (AssetKind.REFERENCE.wire().equals(asset.kind())) {
                return catalog.touch(asset.id(), now())
                        .flatMap(used -> used ? Mono.just(new Stored(asset, false))
                                : Mono.error(ApiProblem.notFound("Asset " + id)));
            }
            return store.open(asset.key())
                    .flatMap(in -> Mono.fromCallable(() -> {
                        try (in) {
                            return in.readAllBytes();
                        }
                    }).subscribeOn(Schedulers.boundedElastic()))
                    .flatMap(bytes -> storeReference(tenantId, jobId, bytes));
        });
    }

    /** An existing reference with these bytes whose object is still there; its last use is now. */
    private Mono<Stored> reuse(String tenantId, String sha) {
        return catalog.findReference(tenantId, sha)
                .filterWhen(existing -> store.exists(existing.key()))
                // A row the retention sweep took meanwhile is no reuse: the picture is stored again.
                .flatMap(existing -> catalog.touch(existing.id(), now())
                        .flatMap(used -> used ? Mono.just(new Stored(existing, false)) : Mono.empty()));
    }

    /**
     * Stores an output. With {@code format}, the image is decoded and encoded in that format with provenance
     * (AI-generated marker, model, job id) in the file; without, the checked bytes are kept as they came,
     * for callers that encode and mark their outputs themselves.
     */
    public Mono<Asset> storeOutput(String tenantId, String jobId, ImageType declared, byte[] bytes,
            ImageType format, String model) {
        return Mono.fromCallable(() -> {
                    if (format != null) {
                        return codec.encodeOutput(bytes, format, new ImageCodec.Provenance(model, jobId));
                    }
                    ImageInspector.Header header = codec.inspector().inspect(bytes);
                    if (header.type() != declared) {
                        throw ApiProblem.invalidField("body", "The bytes are not a " + declared.contentType() + " image");
                    }
                    return new ImageCodec.Encoded(bytes, declared, header.width(), header.height());
                })
                .subscribeOn(Schedulers.boundedElastic())
                .flatMap(encoded -> {
                    UUID id = UUID.randomUUID();
                    String key = tenantId + "/" + AssetKind.OUTPUT.folder() + "/" + id + "." + encoded.type().extension();
                    Asset asset = new Asset(id, tenantId, AssetKind.OUTPUT.wire(), key, encoded.type().contentType(),
                            encoded.bytes().length, sha256(encoded.bytes()), now(), jobId, encoded.width(),
                            encoded.height());
                    return write(asset, encoded.bytes());
                });
    }

    // Microseconds: what PostgreSQL keeps, so the answer equals what a later read returns.
    private static Instant now() {
        return Instant.now().truncatedTo(ChronoUnit.MICROS);
    }

    private Mono<Asset> write(Asset asset, byte[] bytes) {
        String key = asset.key();
        Map<String, String> tags = tagObjects ? Map.of("flux2-kind", asset.kind()) : Map.of();
        return store.put(key, bytes, asset.contentType(), tags)
                .then(catalog.insert(asset)
                        // A duplicate key is another upload of the same reference: its row owns the object.
                        .onErrorResume(error -> !(error instanceof DataIntegrityViolationException), error -> store.delete(key)
                                .doOnError(e -> log.warn("Orphaned object {} after a failed insert", key, e))
                                .onErrorResume(e -> Mono.empty())
                                .then(Mono.error(error))));
    }

    /**
     * For the retention sweeper: deletes the asset if it is still unused since {@code cutoff}, the row and the
     * object in one transaction, so a failed object delete keeps the row to try again and a use that came after
     * the sweep chose the asset keeps it. True when it was deleted.
     */
    public Mono<Boolean> expire(Asset asset, Instant cutoff) {
        return transaction.transactional(catalog.deleteIfUnusedSince(asset.id(), cutoff)
                .flatMap(deleted -> deleted ? store.delete(asset.key()).thenReturn(true) : Mono.just(false)));
    }

    /** @param tenantId when given, an asset of another tenant is reported as not found */
    public Mono<Asset> find(UUID id, String tenantId) {
        return catalog.find(id)
                .filter(asset -> tenantId == null || asset.tenantId().equals(tenantId))
                .switchIfEmpty(Mono.error(() -> ApiProblem.notFound("Asset " + id)));
    }

    public Mono<AssetContent> content(UUID id, String tenantId) {
        return find(id, tenantId).flatMap(asset -> (AssetKind.REFERENCE.wire().equals(asset.kind())
                        ? catalog.sources(asset.id(), maxSources) : Mono.just(List.<String>of()))
                .flatMap(sources -> store.open(asset.key()).map(in -> new AssetContent(asset, in, sources))));
    }

    /**
     * A URL valid for {@code ttl}, or less for an output whose retention ends sooner: the URL never promises more
     * than the object's life. An output past its retention is not found, even before the sweep deletes it.
     */
    public Mono<PresignedUrl> presign(UUID id, String tenantId, Duration ttl) {
        return find(id, tenantId).flatMap(asset -> {
            Instant now = Instant.now();
            Duration lifetime = ttl;
            if (AssetKind.OUTPUT.wire().equals(asset.kind()) && asset.createdAt() != null) {
                Duration left = Duration.between(now, asset.createdAt().plus(outputRetention)).truncatedTo(ChronoUnit.SECONDS);
                lifetime = left.compareTo(ttl) < 0 ? left : ttl;
            }
            if (lifetime.getSeconds() < 1) {
                return Mono.error(ApiProblem.notFound("Asset " + id));
            }
            Instant expiresAt = now.plus(lifetime).truncatedTo(ChronoUnit.SECONDS);
            return store.presignGet(asset.key(), lifetime).map(url -> new PresignedUrl(url, expiresAt));
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
    /** @param sourceSha256 for a reference, the sha256 of each file it was made from */
    public record AssetContent(Asset asset, InputStream bytes, List<String> sourceSha256) {
    }
}
