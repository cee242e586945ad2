package io.flux2.gateway.results;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * BFL's {@code get_result} answer. Nulls are written, as BFL writes them ({@code "result": null}), because
 * clients index the fields without checking they exist.
 */
@JsonInclude(JsonInclude.Include.ALWAYS)
record BflResult(String id, String status, Object result, Double progress, Object details) {

    static final String PENDING = "Pending";
    static final String READY = "Ready";
    static final String REQUEST_MODERATED = "Request Moderated";
    static final String CONTENT_MODERATED = "Content Moderated";
    static final String ERROR = "Error";
    static final String TASK_NOT_FOUND = "Task not found";

    static BflResult notFound(String id) {
        return new BflResult(id, TASK_NOT_FOUND, null, null, null);
    }
}
