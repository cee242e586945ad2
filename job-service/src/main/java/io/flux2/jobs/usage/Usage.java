package io.flux2.jobs.usage;

import io.flux2.common.units.Megapixels;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.YearMonth;
import java.util.Map;
import java.util.TreeMap;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Sums a tenant's usage. Billing rule (a job's billed share of its cost and megapixels):
 * <ul>
 *   <li>REQUEST_MODERATED: not counted at all (as BFL);</li>
 *   <li>READY, CONTENT_MODERATED (the GPU work was done) and unfinished jobs (provisionally): 1;</li>
 *   <li>CANCELLED: stepsRun / totalSteps (0 when it never ran);</li>
 *   <li>ERROR: 0 (counted as a job, not charged).</li>
 * </ul>
 */
@Component
public class Usage {

    private final DatabaseClient db;

    public Usage(DatabaseClient db) {
        this.db = db;
    }

    /** A job's billed megapixels, as SQL over {@code jobs.jobs j}: its output size times its billed share. */
    public static final String BILLED_MEGAPIXELS =
            "coalesce((j.request->>'width')::numeric * (j.request->>'height')::numeric / " + Megapixels.PIXELS
                    + ", 0) * " + share();

    /** A job's billed credits, as SQL over {@code jobs.jobs j}: its cost times its billed share. */
    public static final String BILLED_CREDITS = "coalesce(j.cost, 0) * " + share();

    /** The billing rule above, in SQL (V6__monthly_spend.sql), so usage, retention and spend caps share it. */
    private static String share() {
        return "jobs.billed_share(j.status, j.steps_run, j.total_steps)";
    }

    /**
     * What the tenant was billed for jobs created in the given month (UTC), deleted ones included: one row kept
     * by a trigger as jobs change, so a capped create costs the same however many jobs the month holds.
     */
    public Mono<BigDecimal> spentIn(String tenantId, YearMonth month) {
        return db.sql("select credits from jobs.monthly_spend where tenant_id = :tenantId and month = :month")
                .bind("tenantId", tenantId)
                .bind("month", month.atDay(1))
                .map(row -> row.get("credits", BigDecimal.class))
                .one()
                .defaultIfEmpty(BigDecimal.ZERO);
    }

    /**
     * Jobs created in [from, to); either bound may be null. Jobs the retention sweep deleted count from
     * {@code jobs.usage_archive}, with what they were billed when deleted.
     */
    public Mono<UsageReport> report(String tenantId, Instant from, Instant to) {
        String sql = """
                with counted as (
                    select j.tier, %1$s as mp, %2$s as credits
                    from jobs.jobs j
                    where j.tenant_id = :tenantId and j.status <> 'REQUEST_MODERATED' %3$s
                    union all
                    select a.tier, a.megapixels, a.credits
                    from jobs.usage_archive a
                    where a.tenant_id = :tenantId %4$s
                )
                select tier, count(*) as jobs, sum(mp) as megapixels, sum(credits) as credits
                from counted group by tier
                """.formatted(BILLED_MEGAPIXELS, BILLED_CREDITS,
                (from == null ? "" : " and j.created_at >= :from") + (to == null ? "" : " and j.created_at < :to"),
                (from == null ? "" : " and a.created_at >= :from") + (to == null ? "" : " and a.created_at < :to"));
        var spec = db.sql(sql).bind("tenantId", tenantId);
        if (from != null) {
            spec = spec.bind("from", from);
        }
        if (to != null) {
            spec = spec.bind("to", to);
        }
        return spec.map(row -> Map.entry(row.get("tier", String.class), new UsageReport.Totals(
                        row.get("jobs", Long.class),
                        row.get("megapixels", BigDecimal.class).setScale(6, RoundingMode.HALF_UP).doubleValue(),
                        plain(row.get("credits", BigDecimal.class).setScale(4, RoundingMode.HALF_UP)))))
                .all()
                .collectList()
                .map(rows -> {
                    Map<String, UsageReport.Totals> byTier = new TreeMap<>();
                    long jobs = 0;
                    BigDecimal megapixels = BigDecimal.ZERO;
                    BigDecimal credits = BigDecimal.ZERO;
                    for (var entry : rows) {
                        byTier.put(entry.getKey(), entry.getValue());
                        jobs += entry.getValue().jobs();
                        megapixels = megapixels.add(BigDecimal.valueOf(entry.getValue().megapixels()));
                        credits = credits.add(entry.getValue().credits());
                    }
                    return new UsageReport(jobs, megapixels.doubleValue(), plain(credits), byTier);
                });
    }

    /** Without trailing zeros, yet never in exponent form (10, not 1E+1). */
    private static BigDecimal plain(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        return stripped.scale() < 0 ? stripped.setScale(0) : stripped;
    }
}
