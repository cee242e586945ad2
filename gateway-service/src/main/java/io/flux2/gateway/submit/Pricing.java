package io.flux2.gateway.submit;

import io.flux2.common.units.Megapixels;
import io.flux2.gateway.tiers.Tier;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.List;

/**
 * BFL's FLUX.2 pricing: the tier's first-megapixel price, its extra-megapixel price for each further started
 * megapixel of output (BFL's 1.98 MP pro example costs 3 + 1 × 1.5 = 4.5 credits), and its input-megapixel
 * price for each started megapixel of all reference images together (BFL: 1 MP pro image-to-image costs
 * 3 + 1.5 = 4.5 credits).
 */
public final class Pricing {

    private Pricing() {
    }

    /** In credits and megapixels, rounded for display (2 decimals for megapixels, 3 for credits). */
    public record Quote(double cost, double inputMp, double outputMp) {
    }

    /** A reference image's size in pixels. */
    public record Size(int width, int height) {
    }

    public static Quote quote(Tier tier, int width, int height) {
        return quote(tier, width, height, List.of());
    }

    public static Quote quote(Tier tier, int width, int height, List<Size> references) {
        double outputMp = Megapixels.of(width, height);
        long billedOut = Math.max(1, started(outputMp));
        double inputMp = references.stream().mapToDouble(r -> Megapixels.of(r.width(), r.height())).sum();
        long billedIn = inputMp <= 0 ? 0 : Math.max(1, started(inputMp));
        double cost = tier.price().firstMegapixel() + (billedOut - 1) * tier.price().extraMegapixel()
                + billedIn * tier.price().inputPrice();
        return new Quote(round(cost, 3), round(inputMp, 2), round(outputMp, 2));
    }

    private static long started(double megapixels) {
        return (long) Math.ceil(megapixels - 1e-9);
    }

    private static double round(double value, int decimals) {
        return BigDecimal.valueOf(value).setScale(decimals, RoundingMode.HALF_UP).doubleValue();
    }
}
