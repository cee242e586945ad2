package io.flux2.common.client;

import java.time.Duration;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * Where the other services live and how patiently to call them: {@code flux.clients.<name>.*}.
 *
 * @param services one entry per service this one calls
 */
@ConfigurationProperties("flux.clients")
public record ClientProperties(Map<String, Service> services) {

    public ClientProperties {
        services = services == null ? Map.of() : Map.copyOf(services);
    }

    /**
     * @param baseUrl      e.g. {@code http://127.0.0.1:8081}
     * @param timeout      the longest one attempt may take
     * @param retries      further attempts for idempotent calls after a failure that may be passing
     * @param retryBackoff the wait before the first retry; doubled for each further one
     */
    public record Service(String baseUrl, Duration timeout, Integer retries, Duration retryBackoff) {
        public Service {
            timeout = timeout == null ? Duration.ofSeconds(5) : timeout;
            retries = retries == null ? 2 : retries;
            retryBackoff = retryBackoff == null ? Duration.ofMillis(200) : retryBackoff;
        }
    }
}
