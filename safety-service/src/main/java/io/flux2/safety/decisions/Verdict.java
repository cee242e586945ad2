package io.flux2.safety.decisions;

import java.util.List;

/** What a check concluded, before it is recorded as a {@link Decision}. */
public record Verdict(boolean flagged, List<String> reasons) {

    public Verdict {
        reasons = List.copyOf(reasons);
    }

    public static Verdict pass() {
        return new Verdict(false, List.of());
    }

    public static Verdict flag(List<String> reasons) {
        return new Verdict(true, reasons);
    }
}
