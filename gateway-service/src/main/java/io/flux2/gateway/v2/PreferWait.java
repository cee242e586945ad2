package io.flux2.gateway.v2;

import java.time.Duration;
import java.util.Locale;
import java.util.Optional;

/**
 * {@code Prefer: wait=N} (RFC 7240, as Replicate uses it): the seconds a client is willing to wait for a
 * finished job. Other preferences in the header are ignored; an unreadable wait is as if absent, as RFC 7240
 * asks of preferences a server does not understand.
 */
final class PreferWait {

    static final String PREFER = "Prefer";
    static final String APPLIED = "Preference-Applied";

    private PreferWait() {
    }

    /** The wait to apply, capped to {@code max}; empty when the client asked for none. */
    static Optional<Duration> parse(String header, Duration max) {
        if (header == null) {
            return Optional.empty();
        }
        for (String part : header.split("[,;]")) {
            String token = part.strip().toLowerCase(Locale.ROOT);
            if (token.equals("wait")) {
                return Optional.of(max);
            }
            if (token.startsWith("wait=")) {
                try {
                    long seconds = Long.parseLong(token.substring(5).replace("\"", "").strip());
                    Duration wanted = Duration.ofSeconds(Math.max(0, seconds));
                    return Optional.of(wanted.compareTo(max) > 0 ? max : wanted);
                } catch (NumberFormatException e) {
                    return Optional.empty();
                }
            }
        }
        return Optional.empty();
    }
}
