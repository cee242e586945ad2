package io.flux2.gateway.keys;

import java.math.BigDecimal;
import java.util.List;
import java.util.UUID;

/**
 * Who is calling: the tenant whose jobs a request may create and see, the key it used, that key's own
 * limits and the tenant's policy. Read from the database on every request, so a revoked key or a changed
 * cap takes effect at once on every replica.
 */
public record Caller(String tenantId, UUID keyId, String keyPrefix, KeyLimits keyLimits, TenantPolicy tenant) {

    /** Per-key overrides; null fields fall back to the tier's limits. */
    public record KeyLimits(Integer rateLimitBurst, Double rateLimitPerMinute, Integer activeJobLimit) {
        public static final KeyLimits NONE = new KeyLimits(null, null, null);
    }

    /**
     * @param monthlySpendCap credits a calendar month (UTC) may cost at most; null is no cap
     * @param allowedTiers    tier names the tenant may use; null or empty is every tier
     */
    public record TenantPolicy(BigDecimal monthlySpendCap, List<String> allowedTiers) {
        public static final TenantPolicy UNRESTRICTED = new TenantPolicy(null, null);

        public boolean allows(String tier) {
            return allowedTiers == null || allowedTiers.isEmpty() || allowedTiers.contains(tier);
        }
    }
}
