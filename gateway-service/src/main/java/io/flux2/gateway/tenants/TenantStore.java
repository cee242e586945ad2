package io.flux2.gateway.tenants;

import io.r2dbc.spi.Readable;
import java.math.BigDecimal;
import java.time.OffsetDateTime;
import java.util.Arrays;
import java.util.List;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Repository;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/** The {@code gateway.tenants} table: who pays, the monthly spend cap and the tiers a tenant may use. */
@Repository
public class TenantStore {

    /**
     * @param monthlySpendCap credits per calendar month (UTC); null is no cap
     * @param allowedTiers    tier names; null is every tier
     */
    public record Tenant(String id, String name, BigDecimal monthlySpendCap, List<String> allowedTiers,
            OffsetDateTime createdAt) {
    }

    private final DatabaseClient db;

    public TenantStore(DatabaseClient db) {
        this.db = db;
    }

    /** Creates the tenant; empty when the id is taken. */
    public Mono<Tenant> insert(String id, String name, BigDecimal monthlySpendCap, List<String> allowedTiers) {
        var spec = db.sql("""
                        insert into gateway.tenants (id, name, monthly_spend_cap, allowed_tiers)
                        values (:id, :name, :cap, :tiers)
                        on conflict (id) do nothing
                        returning id, name, monthly_spend_cap, allowed_tiers, created_at""")
                .bind("id", id)
                .bind("name", name);
        spec = monthlySpendCap == null ? spec.bindNull("cap", BigDecimal.class) : spec.bind("cap", monthlySpendCap);
        spec = allowedTiers == null ? spec.bindNull("tiers", String[].class)
                : spec.bind("tiers", allowedTiers.toArray(String[]::new));
        return spec.map((row, meta) -> tenant(row)).one();
    }

    public Mono<Tenant> find(String id) {
        return db.sql("select id, name, monthly_spend_cap, allowed_tiers, created_at from gateway.tenants where id = :id")
                .bind("id", id)
                .map((row, meta) -> tenant(row))
                .one();
    }

    public Flux<Tenant> list() {
        return db.sql("select id, name, monthly_spend_cap, allowed_tiers, created_at from gateway.tenants order by created_at, id")
                .map((row, meta) -> tenant(row))
                .all();
    }

    private static Tenant tenant(Readable row) {
        String[] tiers = row.get("allowed_tiers", String[].class);
        return new Tenant(row.get("id", String.class), row.get("name", String.class),
                row.get("monthly_spend_cap", BigDecimal.class), tiers == null ? null : Arrays.asList(tiers),
                row.get("created_at", OffsetDateTime.class));
    }
}
