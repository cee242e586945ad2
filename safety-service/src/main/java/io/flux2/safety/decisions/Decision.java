package io.flux2.safety.decisions;

import java.util.List;
import java.util.UUID;

/** The answer to a check, as callers see it; the input itself never appears in it. */
public record Decision(UUID decisionId, boolean flagged, List<String> reasons, String policyVersion) {
}
