package io.flux2.gateway.upstream;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * How the gateway speaks of the services behind it.
 *
 * @param retryAfter    what a 503 tells the client to wait when job-service or asset-service is unreachable
 * @param sampleUrlTtl  how long a presigned result URL stays valid (BFL: 10 minutes)
 */
@ConfigurationProperties("flux.gateway.upstream")
public record UpstreamProperties(@DefaultValue("5s") Duration retryAfter, @DefaultValue("10m") Duration sampleUrlTtl) {
}
