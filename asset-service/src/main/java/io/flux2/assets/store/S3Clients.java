package io.flux2.assets.store;

import io.flux2.assets.AssetProperties;
import io.minio.MinioClient;
import okhttp3.OkHttpClient;

/**
 * The two MinIO clients: one for the calls this service makes, one that only signs URLs for the store's
 * public address. Signing is local (the region is configured, so no lookup call is made) and the
 * signature covers the host, so a URL must be signed for the host the client will actually use.
 */
public record S3Clients(MinioClient operations, MinioClient presigner) {

    public static S3Clients create(AssetProperties.S3 s3) {
        // MinIO's default client waits minutes on a dead store; short timeouts let the breaker see it.
        OkHttpClient http = new OkHttpClient.Builder()
                .connectTimeout(s3.connectTimeout())
                .readTimeout(s3.callTimeout())
                .writeTimeout(s3.callTimeout())
                .build();
        MinioClient operations = client(s3.endpoint(), s3, http);
        MinioClient presigner = s3.publicEndpoint() == null ? operations : client(s3.publicEndpoint(), s3, http);
        return new S3Clients(operations, presigner);
    }

    private static MinioClient client(String endpoint, AssetProperties.S3 s3, OkHttpClient http) {
        return MinioClient.builder()
                .endpoint(endpoint)
                .region(s3.region())
                .credentials(s3.accessKey(), s3.secretKey())
                .httpClient(http)
                .build();
    }
}
