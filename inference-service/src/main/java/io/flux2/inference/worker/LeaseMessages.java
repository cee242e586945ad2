package io.flux2.inference.worker;

import java.time.Instant;
import java.util.List;

/** Bodies of the lease calls to job-service (docs/internal-api.md). */
final class LeaseMessages {

    private LeaseMessages() {
    }

    record LeaseRequest(String workerId, List<String> models, long waitMillis) {
    }

    record Heartbeat(int step, int totalSteps) {
    }

    record HeartbeatAnswer(boolean cancelRequested, Instant expiresAt) {
    }

    record Completion(String assetId, long seed, int width, int height, String contentType) {
    }

    record Cancelled(int stepsRun) {
    }

    record Failure(String message, boolean retryable) {
    }

    record Asset(String id, String contentType, Long size) {
    }
}
