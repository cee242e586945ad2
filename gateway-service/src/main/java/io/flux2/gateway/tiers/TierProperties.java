package io.flux2.gateway.tiers;

import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Positive;
import jakarta.validation.constraints.PositiveOrZero;
import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.Name;
import org.springframework.validation.annotation.Validated;

/**
 * The tier table, {@code flux.gateway.tiers.<name>.*}. A map rather than a list so one tier's setting can be
 * overridden alone, e.g. {@code FLUX_GATEWAY_TIERS_PRO_MODEL}.
 */
@Validated
@ConfigurationProperties("flux.gateway")
public record TierProperties(@Valid Map<String, Definition> tiers) {

    public TierProperties {
        tiers = tiers == null ? Map.of() : new LinkedHashMap<>(tiers);
    }

    /**
     * @param route           the path under {@code /v1/}, e.g. {@code flux-2-pro}
     * @param model           the model package inference pods serve it with
     * @param priority        higher is leased first
     * @param maxMegapixels   width × height may not exceed this many megapixels of 1024 × 1024 pixels
     * @param defaultWidth    when the request has no width; absent means the service-wide default
     * @param defaultHeight   when the request has no height; absent means the service-wide default
     * @param maxReferences   reference images one request may carry (BFL: pro/flex 8, klein 4, dev 6)
     * @param maxSafetyTolerance the most permissive {@code safety_tolerance} this tier accepts; absent means the
     *                        service-wide maximum
     * @param activeJobLimit  unfinished jobs one key may have on this tier; absent means the service default
     * @param rateLimit       job submissions per key; absent means the service default
     */
    public record Definition(
            @NotBlank String route,
            @NotBlank String model,
            int priority,
            @NotNull @Valid Setting steps,
            @NotNull @Valid Setting guidance,
            @Positive double maxMegapixels,
            @Positive int minSide,
            @Positive int maxSide,
            @Positive int maxPromptLength,
            @NotNull @Valid Price price,
            Integer defaultWidth,
            Integer defaultHeight,
            @PositiveOrZero Integer maxReferences,
            Integer maxSafetyTolerance,
            @Positive Integer activeJobLimit,
            @Valid RateLimit rateLimit) {
    }

    /**
     * A token bucket: {@code burst} submissions at once, refilled at {@code perMinute}.
     */
    public record RateLimit(@Positive int burst, @Positive double perMinute) {
    }

    /**
     * A sampler setting: fixed ({@code adjustable: false}, only {@code default} matters) or chosen by the
     * client within {@code [min, max]}.
     */
    public record Setting(boolean adjustable, Double min, Double max, @Name("default") double defaultValue) {
    }

    /**
     * BFL's per-megapixel pricing in credits (1 credit = $0.01): the first megapixel of output, then each
     * further started one, and each started megapixel of reference input ({@code inputMegapixel}, BFL prices it
     * as an extra megapixel; absent means {@code extraMegapixel}).
     */
    public record Price(@PositiveOrZero double firstMegapixel, @PositiveOrZero double extraMegapixel,
            @PositiveOrZero Double inputMegapixel) {

        public double inputPrice() {
            return inputMegapixel != null ? inputMegapixel : extraMegapixel;
        }
    }
}
