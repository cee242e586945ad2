package io.flux2.common.auth;

import jakarta.validation.constraints.NotBlank;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/** The token services present to each other on {@code /internal/**}. */
@Validated
@ConfigurationProperties("flux.internal")
public record InternalProperties(@NotBlank String token) {
}
