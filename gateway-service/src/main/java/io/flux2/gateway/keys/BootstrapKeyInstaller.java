package io.flux2.gateway.keys;

import io.flux2.gateway.tenants.TenantStore;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/**
 * Stores the configured bootstrap key, hashed, so a fresh platform has one working key. It runs after every
 * singleton exists (Flyway has migrated by then) and before the server takes requests; a restart or a
 * second replica finds the row and leaves it alone.
 */
@Component
public class BootstrapKeyInstaller implements SmartInitializingSingleton {

    private static final Logger log = LoggerFactory.getLogger(BootstrapKeyInstaller.class);
    static final String NAME = "bootstrap";

    private final KeyProperties properties;
    private final ApiKeyStore store;
    private final TenantStore tenants;

    public BootstrapKeyInstaller(KeyProperties properties, ApiKeyStore store, TenantStore tenants) {
        this.properties = properties;
        this.store = store;
        this.tenants = tenants;
    }

    @Override
    public void afterSingletonsInstantiated() {
        String key = properties.bootstrapKey();
        if (key == null || key.isBlank()) {
            log.info("No flux.gateway.bootstrap-key configured; no key installed");
            return;
        }
        String tenant = properties.bootstrapTenant();
        if (tenant == null || tenant.isBlank()) {
            throw new IllegalStateException("flux.gateway.bootstrap-key needs flux.gateway.bootstrap-tenant");
        }
        ApiKeyFormat.ParsedKey parsed = ApiKeyFormat.parse(key.strip()).orElseThrow(() -> new IllegalStateException(
                "flux.gateway.bootstrap-key must look like flx_<8 letters or digits>_<secret>"));
        // The bootstrap tenant is listed like any other, without cap and with every tier; an existing row stays.
        tenants.insert(tenant, tenant, null, null).block(Duration.ofSeconds(30));
        boolean inserted = Boolean.TRUE.equals(
                store.insertIfAbsent(tenant, parsed.prefix(), parsed.hash(), NAME).block(Duration.ofSeconds(30)));
        if (inserted) {
            log.info("Installed the bootstrap API key flx_{}_… for tenant {}", parsed.prefix(), tenant);
            return;
        }
        String storedHash = store.findHash(parsed.prefix()).block(Duration.ofSeconds(30));
        if (storedHash != null && !ApiKeyFormat.sameHash(storedHash, parsed.hash())) {
            // Never overwrite: the stored key may be in use, and the configuration may be the stale side.
            log.warn("A key with prefix flx_{}_ already exists with another secret; the configured bootstrap key"
                    + " will not authenticate", parsed.prefix());
        }
    }
}
