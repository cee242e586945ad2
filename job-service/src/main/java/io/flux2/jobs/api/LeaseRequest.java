package io.flux2.jobs.api;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotEmpty;
import java.util.List;

/** {@code POST /internal/leases}: a worker asks for a job of one of its models, waiting up to waitMillis. */
public record LeaseRequest(
        @NotBlank String workerId,
        @NotEmpty List<@NotBlank String> models,
        @Min(0) Long waitMillis) {
}
