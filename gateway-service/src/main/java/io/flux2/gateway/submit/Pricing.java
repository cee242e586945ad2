package io.flux2.gateway.submit;

import io.flux2.gateway.tiers.Tier;
import java.math.BigDecimal;
import java.math.RoundingMode;

/**
 * BFL's FLUX.2 pricing: the tier's first-megapixel price, plus its extra-megapixel price for each further
 * started megapixel of output (BFL's 1.98 MP pro example costs 3 + 1 × 1.5 = 4.5 credits). Reference images
 * ({@code input_mp}) are not accepted yet, so they cost nothing.
 */
final class Pricing {

    private Pricing() {
    }

    /** In credits and megapixels, rounded for display (2 decimals for megapixels, 3 for credits). */
    record Quote(double cost, double inputMp, double outputMp) {
    }

    static Quote quote(Tier tier, int width, int height) {
        double outputMp = (double) width * height / 1_000_000d;
        long billed = Math.max(1, (long) Math.ceil(outputMp - 1e-9));
        double cost = tier.price().firstMegapixel() + (billed - 1) * tier.price().extraMegapixel();
        return new Quote(round(cost, 3), 0, round(outputMp, 2));
    }

    private static double round(double value, int decimals) {
        return BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).doubleValue();
    }
}
