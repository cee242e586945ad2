package io.flux2.gateway.upstream;

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
        String createdAt,
        String updatedAt) {

    /** What a READY job produced. */
    public record Result(String assetId, Long seed, Integer width, Integer height, String contentType) {
    }
}
