package io.flux2.safety.prompt;

import io.flux2.safety.decisions.Decision;
import java.util.List;

/** The decisions of a {@link PromptBatchRequest}, in the order of its checks. */
public record PromptBatchResponse(List<Decision> decisions) {
}
