package io.flux2.safety.decisions;

import io.flux2.common.problem.ApiProblem;
import io.flux2.safety.SafetyProperties;
import org.springframework.stereotype.Component;

/** The checks of what every check request carries: who it is about and how tolerant to be. */
@Component
public class CheckParameters {

    private static final int MAX_SUBJECT_LENGTH = 200;

    private final SafetyProperties properties;

    public CheckParameters(SafetyProperties properties) {
        this.properties = properties;
    }

    public String subject(String subject) {
        if (subject == null || subject.isBlank()) {
            throw ApiProblem.invalidField("subject", "subject is required");
        }
        if (subject.length() > MAX_SUBJECT_LENGTH) {
            throw ApiProblem.outOfRange("subject", MAX_SUBJECT_LENGTH,
                    "subject must be at most " + MAX_SUBJECT_LENGTH + " characters");
        }
        return subject;
    }

    /**
     * The tolerance to check at: the requested one (or the default), capped at the tier's maximum.
     *
     * @param requested what the caller asked for, after the range check
     * @param effective what the check runs at
     */
    public record Tolerance(int requested, int effective, String tier) {
    }

    public Tolerance tolerance(Integer tolerance, String tier) {
        int requested = tolerance(tolerance);
        if (tier != null && tier.length() > 64) {
            throw ApiProblem.outOfRange("tier", 64, "tier must be at most 64 characters");
        }
        int cap = tier == null ? properties.maxTolerance()
                : properties.tierMaxTolerance().getOrDefault(tier, properties.maxTolerance());
        return new Tolerance(requested, Math.min(requested, cap), tier);
    }

    public int tolerance(Integer tolerance) {
        if (tolerance == null) {
            return properties.defaultTolerance();
        }
        int max = properties.maxTolerance();
        if (tolerance < 0 || tolerance > max) {
            throw ApiProblem.outOfRange("tolerance", max, "tolerance must be between 0 and " + max);
        }
        return tolerance;
    }
}
