package io.flux2.gateway.submit;

import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.upstream.GenerationRequest;

/** A request that passed its tier's rules, with every default resolved. */
record ValidatedRequest(Tier tier, GenerationRequest generation) {
}
