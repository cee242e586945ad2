package io.flux2.safety.decisions;

import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * The answer to a check, as callers see it; the input itself never appears in it.
 *
 * @param reasons   category names, e.g. {@code ["sexual"]}
 * @param tolerance the tolerance the check ran at, after the tier's cap
 * @param scores    named scores behind the decision (classifier scores), empty for term checks
 * @param details   BFL's moderation details: {@code {"moderation_reasons": [...]}}
 */
public record Decision(UUID decisionId, boolean flagged, List<String> reasons, String policyVersion,
        Integer tolerance, Map<String, Double> scores, Map<String, Object> details) {

    public static Decision of(UUID id, Verdict verdict, String policyVersion, int tolerance) {
        return new Decision(id, verdict.flagged(), verdict.reasons(), policyVersion, tolerance, verdict.scores(),
                Map.of("moderation_reasons", verdict.reasons()));
    }
}
