package io.flux2.assets;

import java.util.Locale;
import java.util.Optional;

/** Why an asset exists; part of its object key, so retention rules can target a prefix. */
public enum AssetKind {
    OUTPUT, REFERENCE;

    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The key segment: {@code outputs}, {@code references}. */
    public String folder() {
        return wire() + "s";
    }

    public static Optional<AssetKind> parse(String value) {
        for (AssetKind kind : values()) {
            if (kind.wire().equals(value)) {
                return Optional.of(kind);
            }
        }
        return Optional.empty();
    }
}
