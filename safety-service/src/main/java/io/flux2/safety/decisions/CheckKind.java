package io.flux2.safety.decisions;

/** What was checked; stored as the lower-case name. */
public enum CheckKind {
    PROMPT, IMAGE;

    public String column() {
        return name().toLowerCase(java.util.Locale.ROOT);
    }
}
