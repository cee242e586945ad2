package io.flux2.assets;

import io.flux2.common.net.SsrfGuard;
import io.flux2.assets.fetch.UrlFetcher;
import io.flux2.assets.images.ImageCodec;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

@Configuration(proxyBeanMethods = false)
public class AssetsConfiguration {

    @Bean
    ImageCodec imageCodec(AssetProperties properties) {
        return new ImageCodec(properties.images());
    }

    @Bean
    SsrfGuard ssrfGuard(AssetProperties properties) {
        return new SsrfGuard(properties.fetch().allowedHosts());
    }

    @Bean
    UrlFetcher urlFetcher(SsrfGuard guard, AssetProperties properties) {
        return new UrlFetcher(guard, properties.fetch(), properties.maxBytes());
    }

    @Bean
    ReferenceSources referenceSources(Assets assets, UrlFetcher fetcher, AssetProperties properties) {
        return new ReferenceSources(assets, fetcher, properties.maxBytes());
    }
}
