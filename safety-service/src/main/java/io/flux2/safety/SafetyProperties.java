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
 * @param categories       blocked terms by category name
 * @param image            the image check's settings
 */
@ConfigurationProperties("flux.safety")
public record SafetyProperties(String policyVersion, Integer defaultTolerance, Integer maxTolerance,
        Map<String, Category> categories, Image image) {

    public SafetyProperties {
        policyVersion = policyVersion == null ? "unversioned" : policyVersion;
        maxTolerance = maxTolerance == null ? 6 : maxTolerance;
        defaultTolerance = defaultTolerance == null ? 2 : defaultTolerance;
        categories = categories == null ? Map.of() : Map.copyOf(categories);
        image = image == null ? new Image(null, null) : image;
    }

    /**
     * @param terms              words or phrases, matched as whole words after normalisation
     * @param allowedAtTolerance the tolerance from which this category passes; absent means it is
     *                           refused at every tolerance (e.g. anything sexual involving minors)
     */
    public record Category(List<String> terms, Integer allowedAtTolerance) {
        public Category {
            terms = terms == null ? List.of() : List.copyOf(terms);
        }

        public boolean allows(int tolerance) {
            return allowedAtTolerance != null && tolerance >= allowedAtTolerance;
        }
    }

    /**
     * @param blockedSha256 lower-case hex sha256 of images refused at every tolerance
     * @param maxBytes      the largest image accepted for checking
     */
    public record Image(List<String> blockedSha256, Long maxBytes) {
        public Image {
            blockedSha256 = blockedSha256 == null ? List.of() : List.copyOf(blockedSha256);
            maxBytes = maxBytes == null ? 32L * 1024 * 1024 : maxBytes;
        }
    }
}
