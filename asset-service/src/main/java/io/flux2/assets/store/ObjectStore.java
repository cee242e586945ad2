package io.flux2.assets.store;

import io.flux2.common.problem.ApiProblem;
import io.minio.GetObjectArgs;
import io.minio.GetPresignedObjectUrlArgs;
import io.minio.PutObjectArgs;
import io.minio.RemoveObjectArgs;
import io.minio.http.Method;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.time.Duration;
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
        return bootstrap.awaitReady(bucketPatience).then(calls.once("store " + key, () -> {
            clients.operations().putObject(PutObjectArgs.builder()
                    .bucket(bucket)
                    .object(key)
                    .stream(new ByteArrayInputStream(bytes), bytes.length, -1)
                    .contentType(contentType)
                    .build());
            return Boolean.TRUE;
        })).then();
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
