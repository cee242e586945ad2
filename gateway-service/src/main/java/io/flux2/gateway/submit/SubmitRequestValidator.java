package io.flux2.gateway.submit;

import io.flux2.common.units.Megapixels;
import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierProperties.Setting;
import io.flux2.gateway.upstream.GenerationRequest;
import io.flux2.gateway.upstream.NewJob;
import java.math.BigDecimal;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.springframework.stereotype.Component;
import tools.jackson.databind.JsonNode;

/**
 * Checks a request body against its tier and resolves every default, so the job carries the complete
 * recipe: a missing seed is drawn here, not by the GPU, and the result can be reproduced. The first broken
 * rule answers 422 with the field and, where one applies, the limit. Two dialects share the rules:
 * {@link Dialect#BFL} ({@code input_image}, {@code input_image_2} … {@code input_image_10},
 * {@code webhook_url}/{@code webhook_secret}; unknown fields ignored, as BFL does) and {@link Dialect#V2}
 * ({@code references: [...]}, {@code webhook: {url, secret}}, {@code tier}; unknown fields are a 422 naming
 * them). Reference images are checked for count only here; asset-service judges their content.
 */
@Component
public class SubmitRequestValidator {

    /** The numbered BFL reference fields the model can take: input_image, input_image_2 … input_image_10. */
    public static final int MAX_REFERENCE_FIELDS = 10;

    public enum Dialect { BFL, V2 }

    /** The fields of a {@code /v2} job body. */
    public static final Set<String> V2_FIELDS = Set.of("tier", "prompt", "references", "width", "height", "seed",
            "steps", "guidance", "output_format", "safety_tolerance", "prompt_upsampling", "webhook");

    private final SubmitProperties rules;

    SubmitRequestValidator(SubmitProperties rules) {
        this.rules = rules;
    }

    /** The request's {@code Idempotency-Key} (checked against the configured length) and its body's hash. */
    public JobSubmitter.Idempotency idempotency(String header, String scope, JsonNode body) {
        return RequestHash.idempotency(header, rules.maxIdempotencyKeyLength(), scope, body);
    }

    ValidatedRequest validate(JsonNode body, Tier tier) {
        return validate(body, tier, Dialect.BFL);
    }

    public ValidatedRequest validate(JsonNode body, Tier tier, Dialect dialect) {
        if (body == null || body.isNull() || body.isMissingNode()) {
            throw ApiProblem.invalidField("prompt", "prompt is required");
        }
        if (!body.isObject()) {
            throw ApiProblem.invalidField("body", "The request body must be a JSON object");
        }
        if (dialect == Dialect.V2) {
            for (String name : body.propertyNames()) {
                if (!V2_FIELDS.contains(name)) {
                    throw ApiProblem.invalidField(name, "Unknown field " + name + "; known fields are "
                            + String.join(", ", new TreeSet<>(V2_FIELDS)));
                }
            }
        }
        JsonFields fields = new JsonFields(body);
        String prompt = prompt(fields, tier);
        List<ValidatedRequest.ReferenceInput> references =
                dialect == Dialect.BFL ? bflReferences(body, tier) : v2References(body, tier);
        boolean sizeGiven = fields.integer("width").isPresent() || fields.integer("height").isPresent();
        Integer width = null;
        Integer height = null;
        if (sizeGiven || references.isEmpty()) {
            width = side(fields, "width", tier, tier.defaultWidth() != null ? tier.defaultWidth() : rules.defaultWidth());
            height = side(fields, "height", tier,
                    tier.defaultHeight() != null ? tier.defaultHeight() : rules.defaultHeight());
            checkMegapixels(width, height, tier);
        }
        long seed = seed(fields);
        int steps = (int) Math.round(setting(fields, "steps", tier.steps(), tier, true, dialect));
        double guidance = setting(fields, "guidance", tier.guidance(), tier, false, dialect);
        String outputFormat = outputFormat(fields, dialect);
        int maxTolerance = tier.maxSafetyTolerance() == null ? rules.maxSafetyTolerance()
                : Math.min(rules.maxSafetyTolerance(), tier.maxSafetyTolerance());
        int safetyTolerance = (int) integerInRange(fields, "safety_tolerance", rules.minSafetyTolerance(),
                maxTolerance, Math.min(rules.defaultSafetyTolerance(), maxTolerance));
        boolean promptUpsampling = fields.bool("prompt_upsampling").orElse(false);
        NewJob.Webhook webhook = dialect == Dialect.BFL
                ? webhook(fields.string("webhook_url").orElse(null), fields.string("webhook_secret").orElse(null),
                        "webhook_url", "webhook_secret")
                : v2Webhook(body);
        return new ValidatedRequest(tier, new GenerationRequest(prompt, width, height, seed, steps, guidance,
                outputFormat, safetyTolerance, null, promptUpsampling), references, webhook);
    }

    private static List<ValidatedRequest.ReferenceInput> bflReferences(JsonNode body, Tier tier) {
        List<ValidatedRequest.ReferenceInput> references = new ArrayList<>();
        JsonFields fields = new JsonFields(body);
        for (int i = 1; i <= MAX_REFERENCE_FIELDS; i++) {
            String field = i == 1 ? "input_image" : "input_image_" + i;
            String source = fields.string(field).orElse(null);
            if (source == null) {
                continue;
            }
            if (source.isBlank()) {
                throw ApiProblem.invalidField(field, field + " must be an image URL, base64 image or asset id");
            }
            if (references.size() == tier.maxReferences()) {
                throw ApiProblem.outOfRange(field, tier.maxReferences(), "The " + tier.route() + " tier takes at most "
                        + tier.maxReferences() + " reference images; " + field + " is one too many");
            }
            references.add(new ValidatedRequest.ReferenceInput(field, source.strip()));
        }
        return references;
    }

    private static List<ValidatedRequest.ReferenceInput> v2References(JsonNode body, Tier tier) {
        JsonNode node = body.get("references");
        if (node == null || node.isNull()) {
            return List.of();
        }
        if (!node.isArray()) {
            throw ApiProblem.invalidField("references", "references must be an array of image URLs, base64 images or asset ids");
        }
        if (node.size() > tier.maxReferences()) {
            throw ApiProblem.outOfRange("references", tier.maxReferences(), "The " + tier.name() + " tier takes at most "
                    + tier.maxReferences() + " reference images; " + node.size() + " were given");
        }
        List<ValidatedRequest.ReferenceInput> references = new ArrayList<>();
        for (int i = 0; i < node.size(); i++) {
            JsonNode item = node.get(i);
            String field = "references[" + i + "]";
            if (!item.isString() || item.stringValue().isBlank()) {
                throw ApiProblem.invalidField(field, field + " must be an image URL, base64 image or asset id");
            }
            references.add(new ValidatedRequest.ReferenceInput(field, item.stringValue().strip()));
        }
        return references;
    }

    private NewJob.Webhook v2Webhook(JsonNode body) {
        JsonNode node = body.get("webhook");
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isObject()) {
            throw ApiProblem.invalidField("webhook", "webhook must be an object {url, secret}");
        }
        for (String name : node.propertyNames()) {
            if (!name.equals("url") && !name.equals("secret")) {
                throw ApiProblem.invalidField("webhook." + name, "Unknown field webhook." + name
                        + "; known fields are url, secret");
            }
        }
        JsonFields fields = new JsonFields(node);
        String url = fields.string("url").orElseThrow(() -> ApiProblem.invalidField("webhook.url",
                "webhook.url is required"));
        return webhook(url, fields.string("secret").orElse(null), "webhook.url", "webhook.secret");
    }

    private NewJob.Webhook webhook(String url, String secret, String urlField, String secretField) {
        if (url == null) {
            if (secret != null) {
                throw ApiProblem.invalidField(secretField, secretField + " needs " + urlField);
            }
            return null;
        }
        URI uri;
        try {
            uri = new URI(url.strip());
        } catch (URISyntaxException e) {
            throw ApiProblem.invalidField(urlField, urlField + " must be an absolute http or https URL");
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
            throw ApiProblem.invalidField(urlField, urlField + " must be an absolute http or https URL");
        }
        if (secret != null && (secret.isBlank() || secret.length() > rules.maxWebhookSecretLength())) {
            throw ApiProblem.outOfRange(secretField, rules.maxWebhookSecretLength(),
                    secretField + " must be 1 to " + rules.maxWebhookSecretLength() + " characters");
        }
        return new NewJob.Webhook(uri.toString(), secret);
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

    static void checkMegapixels(int width, int height, Tier tier) {
        // Compared in whole pixels, so a limit of exactly 2048x2048 does not hinge on floating-point rounding.
        long maxPixels = Megapixels.toPixels(tier.maxMegapixels());
        if ((long) width * height > maxPixels) {
            double megapixels = Megapixels.of(width, height);
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

    /**
     * Steps or guidance: any value within range where the tier lets clients choose, else only the fixed one. BFL's
     * fixed tiers have no such field and ignore fields they do not know, so /v1 ignores it there too; /v2 says so.
     */
    private static double setting(JsonFields fields, String name, Setting setting, Tier tier, boolean integral,
            Dialect dialect) {
        if (!setting.adjustable() && dialect == Dialect.BFL) {
            return setting.defaultValue();
        }
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

    private String outputFormat(JsonFields fields, Dialect dialect) {
        List<String> supported = rules.outputFormats();
        String format = fields.string("output_format").map(f -> f.strip().toLowerCase(Locale.ROOT))
                .orElse(dialect == Dialect.BFL ? rules.bflDefaultOutputFormat() : rules.defaultOutputFormat());
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
