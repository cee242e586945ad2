package io.flux2.assets.store;

import io.flux2.assets.AssetProperties;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import java.time.Duration;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class ObjectStoreConfiguration {

    @Bean
    S3Clients s3Clients(AssetProperties properties) {
        return S3Clients.create(properties.s3());
    }

    @Bean
    StoreCalls storeCalls(AssetProperties properties, CircuitBreakerRegistry breakers, RetryRegistry retries) {
        return new StoreCalls(properties.s3(), breakers, retries);
    }

    @Bean
    BucketBootstrap bucketBootstrap(S3Clients clients, AssetProperties properties) {
        return new BucketBootstrap(clients.operations(), properties.s3().bucket(),
                Duration.ofMillis(500), Duration.ofSeconds(30));
    }

    @Bean
    ObjectStore objectStore(S3Clients clients, AssetProperties properties, StoreCalls calls,
            BucketBootstrap bootstrap) {
        return new ObjectStore(clients, properties.s3().bucket(), calls, bootstrap, Duration.ofSeconds(5));
    }

    @Bean
    ObjectStoreHealthIndicator objectStoreHealthIndicator(BucketBootstrap bootstrap, StoreCalls calls) {
        return new ObjectStoreHealthIndicator(bootstrap, calls.circuitBreaker());
    }
}
