package io.flux2.safety.prompt;

import java.util.List;

/** Several prompt checks asked at once; each is checked and recorded exactly as a single one would be. */
public record PromptBatchRequest(List<PromptCheckRequest> checks) {
}
