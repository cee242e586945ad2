package io.flux2.safety.prompt;

/** @param tolerance 0 (strictest) to the configured maximum; absent means the configured default */
public record PromptCheckRequest(String subject, String prompt, Integer tolerance) {
}
