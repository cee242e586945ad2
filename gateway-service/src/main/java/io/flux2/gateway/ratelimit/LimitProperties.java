package io.flux2.gateway.ratelimit;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Per-key limits where neither the key (admin API) nor its tier (tier table) sets one,
 * {@code flux.gateway.limits.*}.
 *
 * @param burst          submissions a key may make at once (token bucket size)
 * @param perMinute      the rate the bucket refills at
 * @param activeJobLimit unfinished jobs per key (BFL: 24), enforced by job-service
 * @param reservation    how long a replica may hand out tokens it took ahead from a key's shared bucket;
 *                       it takes what the key earns in that time, so keys limited to a few a minute take one
 */
@ConfigurationProperties("flux.gateway.limits")
public record LimitProperties(
        @DefaultValue("60") int burst,
        @DefaultValue("600") double perMinute,
        @DefaultValue("24") int activeJobLimit,
        @DefaultValue("250ms") Duration reservation) {
}
