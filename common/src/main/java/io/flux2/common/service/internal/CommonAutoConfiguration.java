package io.flux2.common.service.internal;

import io.flux2.common.auth.InternalProperties;
import io.flux2.common.auth.InternalTokenFilter;
import io.flux2.common.client.ClientProperties;
import io.flux2.common.client.ServiceClients;
import io.flux2.common.problem.ProblemResponses;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.retry.RetryRegistry;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Import;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.web.reactive.function.client.WebClient;

/** What every service gets by depending on common: problem responses, the internal guard, service clients. */
@AutoConfiguration(beforeName = {
        "org.springframework.boot.reactor.netty.autoconfigure.NettyReactiveWebServerAutoConfiguration",
        "org.springframework.boot.http.client.autoconfigure.reactive.ReactiveHttpClientAutoConfiguration",
        "org.springframework.boot.webclient.autoconfigure.WebClientAutoConfiguration"})
@EnableConfigurationProperties({InternalProperties.class, ClientProperties.class})
@Import(ProblemResponses.class)
public class CommonAutoConfiguration {

    /**
     * Netty event loops of this service's own, not the JVM-wide ones: where several services share a JVM
     * (local-stack, e2e-tests), stopping one must not shut down the loops the others serve and call with.
     */
    @Bean
    ReactorResourceFactory reactorResourceFactory() {
        ReactorResourceFactory factory = new ReactorResourceFactory();
        factory.setUseGlobalResources(false);
        return factory;
    }

    @Bean
    InternalTokenFilter internalTokenFilter(InternalProperties properties) {
        return new InternalTokenFilter(properties.token());
    }

    @Bean
    ServiceClients serviceClients(ClientProperties properties, WebClient.Builder builder,
            CircuitBreakerRegistry circuitBreakers, RetryRegistry retries, InternalProperties internal) {
        return new ServiceClients(properties, builder, circuitBreakers, retries, internal.token());
    }
}
