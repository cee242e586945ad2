package io.flux2.jobs.usage;

import java.math.BigDecimal;
import java.util.Map;

/**
 * {@code GET /internal/usage}: what a tenant's jobs created in a period used.
 *
 * @param jobs       jobs counted (every job except those moderated at request time, which BFL does not charge)
 * @param megapixels output megapixels billed (width x height of the request in megapixels of 1024 x 1024 pixels,
 *                   times the billed share)
 * @param credits    credits billed: each job's {@code cost} times its billed share
 * @param byTier     the same per tier
 */
public record UsageReport(long jobs, double megapixels, BigDecimal credits, Map<String, Totals> byTier) {

    public record Totals(long jobs, double megapixels, BigDecimal credits) {
    }
}
