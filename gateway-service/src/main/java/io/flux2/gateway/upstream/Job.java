package io.flux2.gateway.upstream;

import java.util.Set;
import tools.jackson.databind.JsonNode;

/**
 * The fields of job-service's {@code Job} the gateway reads. Timestamps stay strings so an unexpected
 * format costs only the optional timing fields, never the whole answer.
 */
public record Job(
        String id,
        String tenantId,
        String tier,
        String model,
        String status,
        Double progress,
        GenerationRequest request,
        Result result,
        JsonNode details,
        Double cost,
        Integer stepsRun,
        Integer totalSteps,
        Boolean cancelRequested,
        String createdAt,
        String updatedAt) {

    /** Statuses after which nothing about the job changes any more. */
    public static final Set<String> TERMINAL =
            Set.of("READY", "REQUEST_MODERATED", "CONTENT_MODERATED", "ERROR", "CANCELLED");

    public boolean terminal() {
        return status != null && TERMINAL.contains(status);
    }

    /** What a READY job produced. */
    public record Result(String assetId, Long seed, Integer width, Integer height, String contentType) {
    }
}
