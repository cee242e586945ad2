package io.flux2.gateway.admin;

import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The admin API's own credential, {@code flux.gateway.admin.key}: sent as {@code x-admin-key} or
 * {@code Authorization: Bearer}. Blank switches the admin API off (every call 401).
 */
@ConfigurationProperties("flux.gateway.admin")
public record AdminProperties(String key) {
}
