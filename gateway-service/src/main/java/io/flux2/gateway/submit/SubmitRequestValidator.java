package io.flux2.gateway.submit;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierProperties.Setting;
import io.flux2.gateway.upstream.GenerationRequest;
import java.math.BigDecimal;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Checks a BFL-style request body against its tier and resolves every default, so the job carries the
 * complete recipe: a missing seed is drawn here, not by the GPU, and the result can be reproduced. The first
 * broken rule answers 422 with the field and, where one applies, the limit. Unknown fields are ignored, as
 * BFL does.
 */
@Component
class SubmitRequestValidator {

    private final SubmitProperties rules;

    SubmitRequestValidator(SubmitProperties rules) {
        this.rules = rules;
    }

    ValidatedRequest validate(JsonNode body, Tier tier) {
        if (body == null || body.isNull() || body.isMissingNode()) {
            throw ApiProblem.invalidField("prompt", "prompt is required");
        }
        if (!body.isObject()) {
            throw ApiProblem.invalidField("body", "The request body must be a JSON object");
        }
        JsonFields fields = new JsonFields(body);
        String prompt = prompt(fields, tier);
        int width = side(fields, "width", tier, tier.defaultWidth() != null ? tier.defaultWidth() : rules.defaultWidth());
        int height = side(fields, "height", tier,
                tier.defaultHeight() != null ? tier.defaultHeight() : rules.defaultHeight());
        checkMegapixels(width, height, tier);
        long seed = seed(fields);
        int steps = (int) Math.round(setting(fields, "steps", tier.steps(), tier, true));
        double guidance = setting(fields, "guidance", tier.guidance(), tier, false);
        String outputFormat = outputFormat(fields);
        int safetyTolerance = (int) integerInRange(fields, "safety_tolerance", rules.minSafetyTolerance(),
                rules.maxSafetyTolerance(), rules.defaultSafetyTolerance());
        return new ValidatedRequest(tier, new GenerationRequest(prompt, width, height, seed, steps, guidance,
                outputFormat, safetyTolerance));
    }

    private static String prompt(JsonFields fields, Tier tier) {
        String prompt = fields.string("prompt").orElseThrow(() -> ApiProblem.invalidField("prompt", "prompt is required"));
        if (prompt.isBlank()) {
            throw ApiProblem.invalidField("prompt", "prompt must not be blank");
        }
        int length = prompt.codePointCount(0, prompt.length());
        if (length > tier.maxPromptLength()) {
            throw ApiProblem.outOfRange("prompt", tier.maxPromptLength(), "prompt has " + length
                    + " characters; the " + tier.route() + " tier allows at most " + tier.maxPromptLength());
        }
        return prompt;
    }

    private int side(JsonFields fields, String name, Tier tier, int fallback) {
        long value = fields.integer(name).orElse((long) fallback);
        if (value < tier.minSide()) {
            throw ApiProblem.outOfRange(name, tier.minSide(), name + " must be at least " + tier.minSide());
        }
        if (value > tier.maxSide()) {
            throw ApiProblem.outOfRange(name, tier.maxSide(), name + " must be at most " + tier.maxSide());
        }
        if (value % rules.sizeMultiple() != 0) {
            throw ApiProblem.outOfRange(name, rules.sizeMultiple(),
                    name + " must be a multiple of " + rules.sizeMultiple());
        }
        return (int) value;
    }

    private static void checkMegapixels(int width, int height, Tier tier) {
        // Compared in whole pixels, so a limit of exactly 2048x2048 does not hinge on floating-point rounding.
        long maxPixels = Math.round(tier.maxMegapixels() * 1_000_000d);
        if ((long) width * height > maxPixels) {
            double megapixels = (double) width * height / 1_000_000d;
            // Neither side alone is wrong, so the problem names the product.
            throw ApiProblem.outOfRange("width*height", tier.maxMegapixels(), String.format(Locale.ROOT,
                    "%dx%d is %.2f megapixels; the %s tier allows at most %s", width, height, megapixels,
                    tier.route(), plain(tier.maxMegapixels())));
        }
    }

    private long seed(JsonFields fields) {
        return fields.integer("seed").map(seed -> {
            if (seed < 0) {
                throw ApiProblem.outOfRange("seed", 0, "seed must be at least 0");
            }
            if (seed > rules.maxSeed()) {
                throw ApiProblem.outOfRange("seed", rules.maxSeed(), "seed must be at most " + rules.maxSeed());
            }
            return seed;
        }).orElseGet(() -> ThreadLocalRandom.current().nextLong(rules.maxSeed() + 1));
    }

    /** Steps or guidance: any value within range where the tier lets clients choose, else only the fixed one. */
    private static double setting(JsonFields fields, String name, Setting setting, Tier tier, boolean integral) {
        Double given = integral ? fields.integer(name).map(Long::doubleValue).orElse(null)
                : fields.number(name).orElse(null);
        if (given == null) {
            return setting.defaultValue();
        }
        if (!setting.adjustable()) {
            if (given != setting.defaultValue()) {
                throw ApiProblem.outOfRange(name, limit(setting.defaultValue(), integral), name + " is fixed at "
                        + plain(setting.defaultValue()) + " on the " + tier.route() + " tier");
            }
            return given;
        }
        if (given < setting.min()) {
            throw ApiProblem.outOfRange(name, limit(setting.min(), integral),
                    name + " must be at least " + plain(setting.min()) + " on the " + tier.route() + " tier");
        }
        if (given > setting.max()) {
            throw ApiProblem.outOfRange(name, limit(setting.max(), integral),
                    name + " must be at most " + plain(setting.max()) + " on the " + tier.route() + " tier");
        }
        return given;
    }

    private static Object limit(double value, boolean integral) {
        return integral ? (Object) Math.round(value) : (Object) value;
    }

    /** {@code 4.0} as {@code 4}, {@code 1.5} as {@code 1.5}: how limits read in messages. */
    private static String plain(double value) {
        return BigDecimal.valueOf(value).stripTrailingZeros().toPlainString();
    }

    private String outputFormat(JsonFields fields) {
        List<String> supported = rules.outputFormats();
        String format = fields.string("output_format").map(f -> f.strip().toLowerCase(Locale.ROOT))
                .orElse(rules.defaultOutputFormat());
        if (!supported.contains(format)) {
            throw ApiProblem.outOfRange("output_format", supported,
                    "output_format must be one of " + String.join(", ", supported));
        }
        return format;
    }

    private static long integerInRange(JsonFields fields, String name, long min, long max, long fallback) {
        long value = fields.integer(name).orElse(fallback);
        if (value < min) {
            throw ApiProblem.outOfRange(name, min, name + " must be at least " + min);
        }
        if (value > max) {
            throw ApiProblem.outOfRange(name, max, name + " must be at most " + max);
        }
        return value;
    }
}
