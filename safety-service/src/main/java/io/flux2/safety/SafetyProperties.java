package io.flux2.safety;

import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The safety policy, all of it configuration ({@code flux.safety.*}) so operators can tighten it without a
 * release; {@code policyVersion} is stored with every decision so a decision can be traced to the policy
 * that made it.
 *
 * @param policyVersion    names the policy in force, e.g. {@code 2025-06-01}
 * @param defaultTolerance used when a check names no tolerance
 * @param maxTolerance     the most permissive tolerance a caller may ask for (0 is the strictest)
 * @param tierMaxTolerance the most permissive tolerance per tier; a request above its tier's cap is checked
 *                         at the cap. A tier not listed is capped at {@code maxTolerance}
 * @param categories       blocked terms by category name
 * @param image            the image checks' settings
 * @param maxPromptBatch   the most prompts one batch check may carry
 */
@ConfigurationProperties("flux.safety")
public record SafetyProperties(String policyVersion, Integer defaultTolerance, Integer maxTolerance,
        Map<String, Integer> tierMaxTolerance, Map<String, Category> categories, Image image,
        Integer maxPromptBatch) {

    public SafetyProperties {
        policyVersion = policyVersion == null ? "unversioned" : policyVersion;
        maxTolerance = maxTolerance == null ? 6 : maxTolerance;
        defaultTolerance = defaultTolerance == null ? 2 : defaultTolerance;
        tierMaxTolerance = tierMaxTolerance == null ? Map.of() : Map.copyOf(tierMaxTolerance);
        categories = categories == null ? Map.of() : Map.copyOf(categories);
        image = image == null ? new Image(null, null, null, null) : image;
        maxPromptBatch = maxPromptBatch == null ? 100 : maxPromptBatch;
    }

    /**
     * @param terms              words or phrases, matched as whole words after normalisation, and their
     *                           plurals: an {@code s}, and {@code ies}/{@code es} where English spells them so)
     * @param allowedAtTolerance the tolerance from which this category passes; absent means it is
     *                           refused at every tolerance (e.g. anything sexual involving minors)
     * @param coOccursWith       when set, this category only counts when a term of one of these categories
     *                           also appears in the prompt, whatever the tolerance: "child" alone is fine,
     *                           "child" with a sexual or nudity term is not
     */
    public record Category(List<String> terms, Integer allowedAtTolerance, List<String> coOccursWith) {
        public Category {
            terms = terms == null ? List.of() : List.copyOf(terms);
            coOccursWith = coOccursWith == null ? List.of() : List.copyOf(coOccursWith);
        }

        public boolean allows(int tolerance) {
            return allowedAtTolerance != null && tolerance >= allowedAtTolerance;
        }
    }

    /**
     * @param blockedSha256 lower-case hex sha256 of images refused at every tolerance
     * @param maxBytes      the largest image accepted for checking
     * @param maxPixels     the largest image decoded for the classifier, checked on the header first
     * @param classifier    the image classifier; off when no package is configured
     */
    public record Image(List<String> blockedSha256, Long maxBytes, Long maxPixels, Classifier classifier) {
        public Image {
            blockedSha256 = blockedSha256 == null ? List.of() : List.copyOf(blockedSha256);
            maxBytes = maxBytes == null ? 32L * 1024 * 1024 : maxBytes;
            maxPixels = maxPixels == null ? 4096L * 4096 : maxPixels;
            classifier = classifier == null ? new Classifier(null, null, null, null, null) : classifier;
        }
    }

    /**
     * An image classifier package (see {@code model-tools/flux2_tools/safety_classifier.py}): TorchScript that
     * takes normalised float32 {@code [B,3,H,W]} and returns logits, with labels in {@code model.json}.
     *
     * @param packageDir folder with {@code model.json}, {@code model.pt} and {@code checksums.sha256}; blank: off
     * @param thresholds flag when the flag label's score exceeds {@code thresholds[tolerance]}
     * @param reason     the reason a flag gives, e.g. {@code nsfw}
     * @param device     {@code cpu} or {@code gpu:N}
     * @param required   refuse to start without a classifier
     */
    public record Classifier(String packageDir, List<Double> thresholds, String reason, String device,
            Boolean required) {
        public Classifier {
            packageDir = packageDir == null || packageDir.isBlank() ? null : packageDir;
            thresholds = thresholds == null ? List.of(0.5, 0.7, 0.85, 0.9, 0.95, 0.98, 0.99) : List.copyOf(thresholds);
            reason = reason == null || reason.isBlank() ? "nsfw" : reason;
            device = device == null || device.isBlank() ? "cpu" : device;
            required = required != null && required;
        }

        public double threshold(int tolerance) {
            return thresholds.get(Math.min(Math.max(tolerance, 0), thresholds.size() - 1));
        }
    }
}
