package io.flux2.gateway.keys;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The key an operator starts with, before any key-management API exists.
 *
 * @param bootstrapKey    a whole key ({@code flx_<prefix8>_<secret>}); blank installs nothing
 * @param bootstrapTenant the tenant the bootstrap key acts for
 */
@ConfigurationProperties("flux.gateway")
public record KeyProperties(String bootstrapKey, String bootstrapTenant) {
}
