package io.flux2.gateway.ratelimit;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Per-key limits where neither the key (admin API) nor its tier (tier table) sets one,
 * {@code flux.gateway.limits.*}.
 *
 * @param burst          submissions a key may make at once (token bucket size)
 * @param perMinute      the rate the bucket refills at
 * @param activeJobLimit unfinished jobs per key (BFL: 24), enforced by job-service
 */
@ConfigurationProperties("flux.gateway.limits")
public record LimitProperties(
        @DefaultValue("60") int burst,
        @DefaultValue("600") double perMinute,
        @DefaultValue("24") int activeJobLimit) {
}
