package io.flux2.assets.store;

import io.flux2.common.problem.ApiProblem;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.StatObjectArgs;
import io.minio.http.Method;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
import java.util.Map;
import reactor.core.publisher.Mono;

/** The bucket, as this service uses it: whole-object put, streamed get, presigned GET, delete. */
public class ObjectStore {

    private final S3Clients clients;
    private final String bucket;
    private final StoreCalls calls;
    private final BucketBootstrap bootstrap;
    private final Duration bucketPatience;

    /** @param bucketPatience how long a write waits for the bucket during startup before answering 503 */
    public ObjectStore(S3Clients clients, String bucket, StoreCalls calls, BucketBootstrap bootstrap,
            Duration bucketPatience) {
        this.clients = clients;
        this.bucket = bucket;
        this.calls = calls;
        this.bootstrap = bootstrap;
        this.bucketPatience = bucketPatience;
    }

    public Mono<Void> put(String key, byte[] bytes, String contentType) {
        return put(key, bytes, contentType, Map.of());
    }

    /**
     * Writes the whole object. A put of the same bytes to the same key is safe to repeat (keys are unique
     * per asset, or the content hash), so it is retried like a read.
     *
     * @param tags object tags (bucket lifecycle rules select by them); empty for none
     */
    public Mono<Void> put(String key, byte[] bytes, String contentType, Map<String, String> tags) {
        return bootstrap.awaitReady(bucketPatience).then(calls.idempotent("store " + key, () -> {
            PutObjectArgs.Builder args = PutObjectArgs.builder()
                    .bucket(bucket)
                    .object(key)
                    .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                    .contentType(contentType);
            if (!tags.isEmpty()) {
                args.tags(tags);
            }
            clients.operations().putObject(args.build());
            return Boolean.TRUE;
        })).then();
    }

    /** Whether the object is there; store failures are errors, a missing object is {@code false}. */
    public Mono<Boolean> exists(String key) {
        return calls.idempotent("stat " + key, () -> {
            clients.operations().statObject(StatObjectArgs.builder().bucket(bucket).object(key).build());
            return Boolean.TRUE;
        }).onErrorResume(StoreFailures::isMissingObject, e -> Mono.just(Boolean.FALSE));
    }

    public S3Clients clients() {
        return clients;
    }

    public String bucket() {
        return bucket;
    }

    /** The object's bytes as a stream the caller must close; 404 when the object is gone. */
    public Mono<InputStream> open(String key) {
        return calls.<InputStream>idempotent("read " + key, () -> clients.operations().getObject(
                        GetObjectArgs.builder().bucket(bucket).object(key).build()))
                .onErrorMap(StoreFailures::isMissingObject, e -> ApiProblem.notFound("Asset content"));
    }

    public Mono<String> presignGet(String key, Duration ttl) {
        return calls.idempotent("presign " + key, () -> clients.presigner().getPresignedObjectUrl(
                GetPresignedObjectUrlArgs.builder()
                        .method(Method.GET)
                        .bucket(bucket)
                        .object(key)
                        .expiry((int) ttl.toSeconds())
                        .build()));
    }

    /** Deleting an object that is already gone succeeds, as S3 itself does, so a repeated delete is harmless. */
    public Mono<Void> delete(String key) {
        return calls.idempotent("delete " + key, () -> {
            clients.operations().removeObject(RemoveObjectArgs.builder().bucket(bucket).object(key).build());
            return Boolean.TRUE;
        }).then();
    }
}
