package io.flux2.safety.decisions;

import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * What a check concluded, before it is recorded as a {@link Decision}.
 *
 * @param scores named scores behind the verdict (e.g. {@code nsfw: 0.93}); recorded, never the input
 */
public record Verdict(boolean flagged, List<String> reasons, Map<String, Double> scores) {

    public Verdict {
        reasons = List.copyOf(reasons);
        scores = scores == null ? Map.of() : java.util.Collections.unmodifiableMap(new TreeMap<>(scores));
    }

    public Verdict(boolean flagged, List<String> reasons) {
        this(flagged, reasons, Map.of());
    }

    public static Verdict pass() {
        return new Verdict(false, List.of());
    }

    public static Verdict flag(List<String> reasons) {
        return new Verdict(true, reasons);
    }
}
