package io.flux2.jobs.api;

import jakarta.validation.constraints.Min;

/** {@code POST /internal/leases/{leaseId}/cancelled}: the steps the worker ran before it stopped. */
public record CancelledRequest(@Min(0) Integer stepsRun) {
}
