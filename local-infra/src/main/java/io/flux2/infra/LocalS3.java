package io.flux2.infra;

import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Properties;
import org.gaul.s3proxy.AuthenticationType;
import org.gaul.s3proxy.S3Proxy;
import org.jclouds.ContextBuilder;
import org.jclouds.blobstore.BlobStoreContext;

/**
 * A real S3 server (S3Proxy) in this JVM, storing objects as files in a folder. Clients reach it over
 * HTTP on loopback and sign their requests like against any S3 store.
 */
public final class LocalS3 implements AutoCloseable {

    private final S3Proxy proxy;
    private final BlobStoreContext context;
    private final String accessKey;
    private final String secretKey;

    private LocalS3(S3Proxy proxy, BlobStoreContext context, String accessKey, String secretKey) {
        this.proxy = proxy;
        this.context = context;
        this.accessKey = accessKey;
        this.secretKey = secretKey;
    }

    /** @param port 0 for any free port */
    public static LocalS3 start(int port, Path folder, String accessKey, String secretKey) {
        try {
            Files.createDirectories(folder);
            Properties properties = new Properties();
            properties.setProperty("jclouds.filesystem.basedir", folder.toAbsolutePath().toString());
            BlobStoreContext context = ContextBuilder.newBuilder("filesystem")
                    .credentials("unused", "unused")
                    .overrides(properties)
                    .build(BlobStoreContext.class);
            S3Proxy proxy = S3Proxy.builder()
                    .blobStore(context.getBlobStore())
                    .endpoint(URI.create("http://127.0.0.1:" + port))
                    .awsAuthentication(AuthenticationType.AWS_V2_OR_V4, accessKey, secretKey)
                    .build();
            proxy.start();
            while (!proxy.getState().equals("STARTED")) {
                Thread.sleep(20);
            }
            return new LocalS3(proxy, context, accessKey, secretKey);
        } catch (Exception e) {
            throw new IllegalStateException("S3 server did not start", e);
        }
    }

    public String endpoint() {
        return "http://127.0.0.1:" + proxy.getPort();
    }

    public String accessKey() {
        return accessKey;
    }

    public String secretKey() {
        return secretKey;
    }

    @Override
    public void close() {
        try {
            proxy.stop();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        } finally {
            context.close();
        }
    }
}
