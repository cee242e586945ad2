package io.flux2.gateway.ratelimit;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.Caller;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierProperties.RateLimit;
import java.time.Clock;
import org.springframework.http.HttpStatus;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Job submissions per key, shared by every gateway replica: a token bucket row per key in
 * {@code gateway.rate_buckets}. One {@code UPDATE ... RETURNING} refills the bucket from
 * {@code now() - last_refill} and takes a token if one is there; PostgreSQL's row lock serialises
 * concurrent requests for the same key, and READ COMMITTED re-evaluates the expressions on the row a
 * concurrent update left, so two replicas never spend one token twice. The limit is the key's own, else the
 * tier's, else the configured default; a bucket holds at most its burst. A busy key's update takes what the
 * key earns in {@code flux.gateway.limits.reservation} and this replica hands the rest out itself
 * ({@link TokenReservations}), so its submissions do not each pay a statement.
 */
@Component
public class RateLimiter {

    private final DatabaseClient db;
    private final LimitProperties defaults;
    private final TokenReservations reservations;

    public RateLimiter(DatabaseClient db, LimitProperties defaults) {
        this.db = db;
        this.defaults = defaults;
        this.reservations = new TokenReservations(defaults.reservation(), Clock.systemUTC());
    }

    /** The limit that applies to this key on this tier. */
    public RateLimit limitFor(Caller caller, Tier tier) {
        RateLimit tierLimit = tier.rateLimit();
        int burst = caller.keyLimits().rateLimitBurst() != null ? caller.keyLimits().rateLimitBurst()
                : tierLimit != null ? tierLimit.burst() : defaults.burst();
        double perMinute = caller.keyLimits().rateLimitPerMinute() != null ? caller.keyLimits().rateLimitPerMinute()
                : tierLimit != null ? tierLimit.perMinute() : defaults.perMinute();
        return new RateLimit(burst, perMinute);
    }

    /** Unfinished jobs this key may have on this tier (job-service enforces it). */
    public int activeJobLimitFor(Caller caller, Tier tier) {
        if (caller.keyLimits().activeJobLimit() != null) {
            return caller.keyLimits().activeJobLimit();
        }
        return tier.activeJobLimit() != null ? tier.activeJobLimit() : defaults.activeJobLimit();
    }

    /** Takes one token, or fails with 429 and the seconds until one is back. */
    public Mono<Void> acquire(Caller caller, Tier tier) {
        if (reservations.tryTake(caller.keyId())) {
            return Mono.empty();
        }
        RateLimit limit = limitFor(caller, tier);
        double perSecond = limit.perMinute() / 60d;
        int want = reservations.chunk(limit.burst(), perSecond);
        return take(caller, limit, perSecond, want)
                .switchIfEmpty(Mono.defer(() -> create(caller, limit).then(take(caller, limit, perSecond, want))))
                .flatMap(outcome -> {
                    if (outcome.taken() >= 1) {
                        reservations.keep(caller.keyId(), outcome.taken() - 1);
                        return Mono.empty();
                    }
                    long wait = Math.max(1, (long) Math.ceil((1 - outcome.tokens()) / perSecond));
                    return Mono.error(new RateLimited(limit, wait));
                });
    }

    private record Outcome(int taken, double tokens) {
    }

    /** The bucket refilled to now, at most its burst. */
    private static final String AVAILABLE =
            "least(:burst, tokens + greatest(0, extract(epoch from now() - last_refill)) * :rate)";

    /** Takes up to {@code want} whole tokens (none when less than one is there); every SET reads the old row. */
    private Mono<Outcome> take(Caller caller, RateLimit limit, double perSecond, int want) {
        return db.sql("""
                        update gateway.rate_buckets set
                            tokens = %1$s - least(:want, floor(%1$s)),
                            taken = least(:want, floor(%1$s))::int,
                            granted = %1$s >= 1,
                            last_refill = greatest(last_refill, now())
                        where key_id = :key
                        returning taken, tokens""".formatted(AVAILABLE))
                .bind("burst", (double) limit.burst())
                .bind("rate", perSecond)
                .bind("want", want)
                .bind("key", caller.keyId())
                .map((row, meta) -> new Outcome(row.get("taken", Integer.class), row.get("tokens", Double.class)))
                .one();
    }

    /** A full bucket for a key's first submission; a concurrent first one from another replica wins alike. */
    private Mono<Void> create(Caller caller, RateLimit limit) {
        return db.sql("""
                        insert into gateway.rate_buckets (key_id, tokens, last_refill) values (:key, :burst, now())
                        on conflict (key_id) do nothing""")
                .bind("key", caller.keyId())
                .bind("burst", (double) limit.burst())
                .fetch()
                .rowsUpdated()
                .then();
    }

    /** 429 with Retry-After. */
    public static final class RateLimited extends ApiProblem {

        private final long retryAfter;

        RateLimited(RateLimit limit, long retryAfter) {
            super(HttpStatus.TOO_MANY_REQUESTS, "Too many requests", "This key may submit " + limit.burst()
                    + " jobs at once and " + plain(limit.perMinute()) + " a minute; try again in " + retryAfter + " s");
            this.retryAfter = retryAfter;
            with("limit", limit.burst());
            with("per_minute", limit.perMinute());
        }

        @Override
        public long retryAfterSeconds() {
            return retryAfter;
        }

        private static String plain(double value) {
            return value == Math.rint(value) ? Long.toString((long) value) : Double.toString(value);
        }
    }
}
