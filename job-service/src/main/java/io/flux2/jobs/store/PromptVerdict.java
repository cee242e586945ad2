package io.flux2.jobs.store;

import java.util.List;

/**
 * safety-service's verdict on a new job's prompt, had before the job is stored: the job is then created
 * QUEUED (passed) or REQUEST_MODERATED (flagged) in the same statement, with the event the later check would
 * have written.
 */
public record PromptVerdict(boolean flagged, String decisionId, String policyVersion, List<String> reasons) {
}
