package io.flux2.jobs.api;

import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;

/** {@code POST /internal/leases/{leaseId}/heartbeat}: the step the worker finished, out of how many. */
public record HeartbeatRequest(@NotNull @Min(0) Integer step, @NotNull @Min(1) Integer totalSteps) {
}
