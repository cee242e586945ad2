package io.flux2.safety.decisions;

import io.flux2.common.problem.ApiProblem;
import java.util.Locale;

/** What was checked; stored as the lower-case name. A prompt, or an image as a reference or an output. */
public enum CheckKind {
    PROMPT, IMAGE, REFERENCE, OUTPUT;

    public String column() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** The {@code purpose} of an image check: {@code reference}, {@code output}, or absent (plain image). */
    public static CheckKind imagePurpose(String purpose) {
        if (purpose == null || purpose.isBlank()) {
            return IMAGE;
        }
        return switch (purpose.toLowerCase(Locale.ROOT)) {
            case "reference" -> REFERENCE;
            case "output" -> OUTPUT;
            case "image" -> IMAGE;
            default -> throw ApiProblem.invalidField("purpose", "purpose must be reference or output");
        };
    }
}
