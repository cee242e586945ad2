package io.flux2.gateway.keys;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * The short-lived cache of API key lookups ({@code flux.gateway.key-cache}).
 *
 * @param enabled        off: every request reads its key row
 * @param ttl            how long a looked-up key is trusted without reading it again
 * @param maxEntries     the most keys held; beyond it the cache starts over
 * @param reconnectDelay wait before re-opening the change listener after it dropped (nothing is cached meanwhile)
 * @param pingInterval   how often the listener's connection is checked with a query
 */
@Validated
@ConfigurationProperties("flux.gateway.key-cache")
public record KeyCacheProperties(boolean enabled, @NotNull Duration ttl, @Min(1) int maxEntries,
        @NotNull Duration reconnectDelay, @NotNull Duration pingInterval) {
}
