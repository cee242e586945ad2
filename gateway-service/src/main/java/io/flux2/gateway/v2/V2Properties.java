package io.flux2.gateway.v2;

import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * {@code /v2} settings, {@code flux.gateway.v2.*}.
 *
 * @param maxWait         the longest {@code Prefer: wait=N} holds a request; larger N are capped to it
 * @param pollInterval    how often a waiting request asks job-service about its job
 * @param defaultPageSize jobs per page when the client names no {@code limit}
 * @param maxPageSize     the largest {@code limit}
 */
@ConfigurationProperties("flux.gateway.v2")
public record V2Properties(
        @DefaultValue("60s") Duration maxWait,
        @DefaultValue("250ms") Duration pollInterval,
        @DefaultValue("20") int defaultPageSize,
        @DefaultValue("100") int maxPageSize) {
}
