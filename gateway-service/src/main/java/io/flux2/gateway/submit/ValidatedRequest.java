package io.flux2.gateway.submit;

import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.upstream.GenerationRequest;
import io.flux2.gateway.upstream.NewJob;
import java.util.List;

/**
 * A request that passed its tier's rules, with every default resolved except what needs the references:
 * their asset ids and, when the request named no size, the size taken from the last reference.
 *
 * @param references the reference sources in model order, each with the request field it came from
 * @param webhook    null without one
 */
public record ValidatedRequest(Tier tier, GenerationRequest generation, List<ReferenceInput> references,
        NewJob.Webhook webhook) {

    /** One reference as the client gave it: a URL, base64 image or asset id, and the field that held it. */
    public record ReferenceInput(String field, String source) {
    }
}
