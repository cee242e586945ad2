package io.flux2.jobs.api;

import io.flux2.jobs.GenerationRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;

/** {@code POST /internal/jobs}: the gateway hands over a request it has already validated against the tier. */
public record CreateJobRequest(
        @NotBlank String tenantId,
        @NotBlank String tier,
        @NotBlank String model,
        Integer priority,
        @NotNull @Valid GenerationRequest request) {
}
