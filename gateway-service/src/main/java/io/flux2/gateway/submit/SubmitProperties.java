package io.flux2.gateway.submit;

import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Request rules every tier shares, {@code flux.gateway.submit.*}.
 *
 * @param publicBaseUrl          how clients reach the gateway, for {@code polling_url}; blank derives it from
 *                               each request's own scheme, host and port
 * @param defaultWidth           width when neither the request nor the tier gives one
 * @param defaultHeight          height when neither the request nor the tier gives one
 * @param sizeMultiple           width and height must be multiples of this (the VAE and 2×2 packing need 16)
 * @param outputFormats          formats an encoder exists for
 * @param defaultOutputFormat    when a {@code /v2} or OpenAI-facade request names none
 * @param bflDefaultOutputFormat when a BFL {@code /v1} request names none (BFL's own default is jpeg)
 * @param minSafetyTolerance     strictest {@code safety_tolerance}
 * @param maxSafetyTolerance     most permissive {@code safety_tolerance}
 * @param defaultSafetyTolerance when the request names none (BFL: 2)
 * @param maxSeed                largest accepted seed; a random seed is drawn from {@code [0, maxSeed]}
 * @param maxWebhookSecretLength longest webhook secret, in characters (job-service stores at most 200)
 * @param maxIdempotencyKeyLength longest {@code Idempotency-Key} header, in characters
 */
@ConfigurationProperties("flux.gateway.submit")
public record SubmitProperties(
        String publicBaseUrl,
        @DefaultValue("128") int defaultWidth,
        @DefaultValue("128") int defaultHeight,
        @DefaultValue("16") int sizeMultiple,
        @DefaultValue({"png", "jpeg", "webp"}) List<String> outputFormats,
        @DefaultValue("png") String defaultOutputFormat,
        @DefaultValue("jpeg") String bflDefaultOutputFormat,
        @DefaultValue("0") int minSafetyTolerance,
        @DefaultValue("6") int maxSafetyTolerance,
        @DefaultValue("2") int defaultSafetyTolerance,
        @DefaultValue("4294967295") long maxSeed,
        @DefaultValue("200") int maxWebhookSecretLength,
        @DefaultValue("255") int maxIdempotencyKeyLength) {
}
