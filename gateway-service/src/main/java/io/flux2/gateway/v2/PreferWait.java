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
    private static final java.util.regex.Pattern SECONDS = java.util.regex.Pattern.compile("-?\\d+");

    private PreferWait() {
    }

    /** The wait to apply, capped to {@code max}; empty when the client asked for none. */
    static Optional<Duration> parse(String header, Duration max) {
        if (header == null) {
            return Optional.empty();
        }
        for (String part : header.split("[,;]")) {
            // RFC 7240 allows white space around "=" and a quoted value: wait = "5"
            String[] nameAndValue = part.split("=", 2);
            if (!nameAndValue[0].strip().toLowerCase(Locale.ROOT).equals("wait")) {
                continue;
            }
            if (nameAndValue.length == 1) {
                return Optional.of(max);
            }
            String value = nameAndValue[1].strip().replace("\"", "").strip();
            if (!SECONDS.matcher(value).matches()) {
                return Optional.empty();
            }
            if (value.startsWith("-")) {
                return Optional.of(Duration.ZERO);
            }
            // More digits than any wait could need: as long as the server allows, like any wait above it.
            Duration wanted = value.length() > 9 ? max : Duration.ofSeconds(Long.parseLong(value));
            return Optional.of(wanted.compareTo(max) > 0 ? max : wanted);
        }
        return Optional.empty();
    }
}
