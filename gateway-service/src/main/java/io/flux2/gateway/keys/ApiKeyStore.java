package io.flux2.gateway.keys;

import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The {@code gateway.api_keys} table. Only hashes are stored; a lost key cannot be recovered, only replaced. */
@Repository
public class ApiKeyStore {

    /** A stored key as the authenticator needs it, with its tenant's policy (absent tenant row: unrestricted). */
    public record StoredKey(UUID id, String tenantId, String prefix, String keyHash, Caller.KeyLimits limits,
            Caller.TenantPolicy tenant) {

        public Caller toCaller() {
            return new Caller(tenantId, id, prefix, limits, tenant);
        }
    }

    /** A key as the admin API lists it: never the key or its hash. */
    public record KeyInfo(UUID id, String tenantId, String prefix, String name, OffsetDateTime createdAt,
            OffsetDateTime revokedAt, Caller.KeyLimits limits) {
    }

    private static final String KEY_COLUMNS = """
            id, tenant_id, prefix, name, created_at, revoked_at, rate_limit_burst, rate_limit_per_minute,
            active_job_limit""";

    private final DatabaseClient db;
    private final ApiKeyCache cache;

    public ApiKeyStore(DatabaseClient db, ApiKeyCache cache) {
        this.db = db;
        this.cache = cache;
    }

    /**
     * The unrevoked key with this prefix. Served from {@link ApiKeyCache} when held there: a revocation drops
     * it from every replica's cache as it commits, so the very next request reads the row again.
     */
    public Mono<StoredKey> findActive(String prefix) {
        StoredKey cached = cache.get(prefix);
        if (cached != null) {
            return Mono.just(cached);
        }
        long generation = cache.generation();
        return db.sql("""
                        select k.id, k.tenant_id, k.prefix, k.key_hash, k.rate_limit_burst, k.rate_limit_per_minute,
                               k.active_job_limit, t.monthly_spend_cap, t.allowed_tiers
                        from gateway.api_keys k left join gateway.tenants t on t.id = k.tenant_id
                        where k.prefix = :prefix and k.revoked_at is null""")
                .bind("prefix", prefix)
                .map((row, meta) -> {
                    String[] tiers = row.get("allowed_tiers", String[].class);
                    return new StoredKey(row.get("id", UUID.class), row.get("tenant_id", String.class),
                            row.get("prefix", String.class), row.get("key_hash", String.class), limits(row),
                            new Caller.TenantPolicy(row.get("monthly_spend_cap", BigDecimal.class),
                                    tiers == null ? null : Arrays.asList(tiers)));
                })
                .one()
                .doOnNext(key -> cache.put(prefix, key, generation));
    }

    public Mono<String> findHash(String prefix) {
        return db.sql("select key_hash from gateway.api_keys where prefix = :prefix")
                .bind("prefix", prefix)
                .map((row, meta) -> row.get("key_hash", String.class))
                .one();
    }

    /**
     * Inserts the key unless one with its prefix exists. {@code on conflict do nothing} makes this safe when
     * several replicas start at once.
     *
     * @return whether a row was inserted
     */
    public Mono<Boolean> insertIfAbsent(String tenantId, String prefix, String keyHash, String name) {
        return insert(tenantId, prefix, keyHash, name, Caller.KeyLimits.NONE).map(inserted -> inserted != null)
                .defaultIfEmpty(false);
    }

    /** Inserts a new key; empty when its prefix is taken (the caller draws another). */
    public Mono<KeyInfo> insert(String tenantId, String prefix, String keyHash, String name, Caller.KeyLimits limits) {
        var spec = db.sql("""
                        insert into gateway.api_keys
                            (tenant_id, prefix, key_hash, name, rate_limit_burst, rate_limit_per_minute, active_job_limit)
                        values (:tenant, :prefix, :hash, :name, :burst, :perMinute, :active)
                        on conflict (prefix) do nothing
                        returning\s""" + KEY_COLUMNS)
                .bind("tenant", tenantId)
                .bind("prefix", prefix)
                .bind("hash", keyHash)
                .bind("name", name);
        spec = limits.rateLimitBurst() == null ? spec.bindNull("burst", Integer.class)
                : spec.bind("burst", limits.rateLimitBurst());
        spec = limits.rateLimitPerMinute() == null ? spec.bindNull("perMinute", Double.class)
                : spec.bind("perMinute", limits.rateLimitPerMinute());
        spec = limits.activeJobLimit() == null ? spec.bindNull("active", Integer.class)
                : spec.bind("active", limits.activeJobLimit());
        return spec.map((row, meta) -> info(row)).one();
    }

    public Flux<KeyInfo> listByTenant(String tenantId) {
        return db.sql("select " + KEY_COLUMNS + " from gateway.api_keys where tenant_id = :tenant order by created_at, prefix")
                .bind("tenant", tenantId)
                .map((row, meta) -> info(row))
                .all();
    }

    public Mono<Long> revoke(String prefix) {
        return db.sql("update gateway.api_keys set revoked_at = now() where prefix = :prefix and revoked_at is null")
                .bind("prefix", prefix)
                .fetch()
                .rowsUpdated()
                // Before the answer goes on: whoever revoked must find the key refused by its very next request.
                .doOnNext(changed -> cache.evict(prefix))
                .doOnTerminate(() -> cache.evict(prefix));
    }

    /** Revokes the key (a second revoke keeps the first time) and answers it; empty when no such prefix. */
    public Mono<KeyInfo> revokeAndGet(String prefix) {
        return db.sql("update gateway.api_keys set revoked_at = coalesce(revoked_at, now()) where prefix = :prefix"
                        + " returning " + KEY_COLUMNS)
                .bind("prefix", prefix)
                .map((row, meta) -> info(row))
                .one()
                // Before the answer goes on: whoever revoked must find the key refused by its very next request.
                .doOnNext(changed -> cache.evict(prefix))
                .doOnTerminate(() -> cache.evict(prefix));
    }

    private static KeyInfo info(Readable row) {
        return new KeyInfo(row.get("id", UUID.class), row.get("tenant_id", String.class),
                row.get("prefix", String.class), row.get("name", String.class),
                row.get("created_at", OffsetDateTime.class), row.get("revoked_at", OffsetDateTime.class), limits(row));
    }

    private static Caller.KeyLimits limits(Readable row) {
        return new Caller.KeyLimits(row.get("rate_limit_burst", Integer.class),
                row.get("rate_limit_per_minute", Double.class), row.get("active_job_limit", Integer.class));
    }

}
