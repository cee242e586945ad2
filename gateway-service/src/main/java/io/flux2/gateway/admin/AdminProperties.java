package io.flux2.gateway.admin;

import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The admin API, {@code flux.gateway.admin.*}.
 *
 * @param key           its own credential, sent as {@code x-admin-key} or {@code Authorization: Bearer}; blank
 *                      switches the admin API off (every call 401)
 * @param maxNameLength the longest tenant id, tenant name or key name, in characters
 */
@ConfigurationProperties("flux.gateway.admin")
public record AdminProperties(String key, @DefaultValue("200") int maxNameLength) {
}
