package io.flux2.jobs.safety;

import java.util.List;

/** safety-service's verdict on one prompt or image. */
public record Decision(String decisionId, boolean flagged, List<String> reasons, String policyVersion) {

    public Decision {
        reasons = reasons == null ? List.of() : List.copyOf(reasons);
    }
}
