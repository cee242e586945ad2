package io.flux2.gateway.tiers;

import io.flux2.gateway.tiers.TierProperties.Price;
import io.flux2.gateway.tiers.TierProperties.RateLimit;
import io.flux2.gateway.tiers.TierProperties.Setting;

/** One configured tier, with its name, as requests are checked against it. */
public record Tier(
        String name,
        String route,
        String model,
        int priority,
        Setting steps,
        Setting guidance,
        double maxMegapixels,
        int minSide,
        int maxSide,
        int maxPromptLength,
        Price price,
        Integer defaultWidth,
        Integer defaultHeight,
        int maxReferences,
        Integer maxSafetyTolerance,
        Integer activeJobLimit,
        RateLimit rateLimit) {

    /** BFL's API limit for pro and flex, when the tier table names none. */
    static final int DEFAULT_MAX_REFERENCES = 8;

    static Tier of(String name, TierProperties.Definition d) {
        return new Tier(name, d.route(), d.model(), d.priority(), d.steps(), d.guidance(), d.maxMegapixels(),
                d.minSide(), d.maxSide(), d.maxPromptLength(), d.price(), d.defaultWidth(), d.defaultHeight(),
                d.maxReferences() == null ? DEFAULT_MAX_REFERENCES : d.maxReferences(), d.maxSafetyTolerance(),
                d.activeJobLimit(), d.rateLimit());
    }
}
