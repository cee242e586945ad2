package io.flux2.jobs.api;

import java.util.Optional;
import java.util.UUID;

/** Ids arrive as path segments; one that is not a UUID names nothing we hold. */
final class Ids {

    private Ids() {
    }

    static Optional<UUID> parse(String text) {
        try {
            return Optional.of(UUID.fromString(text));
        } catch (IllegalArgumentException e) {
            return Optional.empty();
        }
    }
}
