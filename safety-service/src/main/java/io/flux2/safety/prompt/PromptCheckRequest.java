package io.flux2.safety.prompt;

/**
 * @param tolerance 0 (strictest) to the configured maximum; absent means the configured default
 * @param tier      the caller's tier, whose cap applies to the tolerance; absent: no tier cap
 */
public record PromptCheckRequest(String subject, String prompt, Integer tolerance, String tier) {
}
