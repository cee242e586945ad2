package io.flux2.gateway.ratelimit;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Tokens this replica took from a key's shared bucket beyond the one it needed, handed out here without a
 * statement until they run out or {@code reservation} has passed. They were taken from the shared bucket, so
 * all replicas together never grant more than the bucket allows; tokens a replica holds when its time is up
 * are dropped, so a key may briefly get fewer than its limit, never more.
 */
final class TokenReservations {

    private record Held(int tokens, long expiresAtMillis) {
    }

    private final ConcurrentHashMap<UUID, Held> held = new ConcurrentHashMap<>();
    private final Duration reservation;
    private final Clock clock;

    TokenReservations(Duration reservation, Clock clock) {
        this.reservation = reservation;
        this.clock = clock;
    }

    /**
     * How many tokens one update should try to take for a key refilling at {@code perSecond}: what the key
     * earns during one reservation, at least one and at most the bucket. A key limited to a few a minute
     * always takes one, so its limit is exact.
     */
    int chunk(int burst, double perSecond) {
        long earned = (long) Math.floor(perSecond * reservation.toNanos() / 1e9);
        return (int) Math.max(1, Math.min(burst, earned));
    }

    /** Spends a held token of this key; false when none is held (or they expired). */
    boolean tryTake(UUID keyId) {
        long now = clock.millis();
        boolean[] taken = {false};
        held.computeIfPresent(keyId, (k, h) -> {
            if (h.expiresAtMillis() <= now || h.tokens() <= 0) {
                return null;
            }
            taken[0] = true;
            return h.tokens() == 1 ? null : new Held(h.tokens() - 1, h.expiresAtMillis());
        });
        return taken[0];
    }

    /** Keeps tokens just taken from the key's bucket, with any still held, until one reservation from now. */
    void keep(UUID keyId, int tokens) {
        if (tokens <= 0) {
            return;
        }
        long now = clock.millis();
        long expires = now + reservation.toMillis();
        held.merge(keyId, new Held(tokens, expires), (old, fresh) -> old.expiresAtMillis() <= now ? fresh
                : new Held(old.tokens() + fresh.tokens(), expires));
    }
}
