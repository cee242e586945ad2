package io.flux2.jobs.api;

/**
 * {@code POST /internal/leases/{leaseId}/fail}.
 *
 * @param retryable whether another attempt may succeed (e.g. out of GPU memory), as opposed to a request
 *                  that can never run
 */
public record FailRequest(String message, Boolean retryable) {
}
