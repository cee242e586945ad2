package io.flux2.gateway.keys;

import java.util.UUID;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Mono;

/** The {@code gateway.api_keys} table. Only hashes are stored; a lost key cannot be recovered, only replaced. */
@Repository
public class ApiKeyStore {

    /** A stored key as the authenticator needs it. */
    public record StoredKey(UUID id, String tenantId, String keyHash) {
    }

    private final DatabaseClient db;

    public ApiKeyStore(DatabaseClient db) {
        this.db = db;
    }

    public Mono<StoredKey> findActive(String prefix) {
        return db.sql("""
                        select id, tenant_id, key_hash from gateway.api_keys
                        where prefix = :prefix and revoked_at is null""")
                .bind("prefix", prefix)
                .map((row, meta) -> new StoredKey(row.get("id", UUID.class), row.get("tenant_id", String.class),
                        row.get("key_hash", String.class)))
                .one();
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
        return db.sql("""
                        insert into gateway.api_keys (tenant_id, prefix, key_hash, name)
                        values (:tenant, :prefix, :hash, :name)
                        on conflict (prefix) do nothing""")
                .bind("tenant", tenantId)
                .bind("prefix", prefix)
                .bind("hash", keyHash)
                .bind("name", name)
                .fetch()
                .rowsUpdated()
                .map(rows -> rows > 0);
    }

    public Mono<Long> revoke(String prefix) {
        return db.sql("update gateway.api_keys set revoked_at = now() where prefix = :prefix and revoked_at is null")
                .bind("prefix", prefix)
                .fetch()
                .rowsUpdated();
    }
}
