package io.flux2.inference.worker;

import io.flux2.common.client.ServiceClient;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.client.WebClientResponseException;

/** The lease API of job-service, blocking: it is called from worker threads, never from an event loop. */
class JobServiceClient {

    private final ServiceClient client;
    private final Duration pollTimeout;

    /** @param pollTimeout client-side limit for one long-poll, longer than the wait asked of job-service */
    JobServiceClient(ServiceClient client, Duration pollTimeout) {
        this.client = client;
        this.pollTimeout = pollTimeout;
    }

    /** Waits up to {@code wait} at job-service for a job of one of {@code models}; empty on 204. */
    Optional<Lease> lease(String workerId, List<String> models, Duration wait) {
        var body = new LeaseMessages.LeaseRequest(workerId, models, wait.toMillis());
        return Optional.ofNullable(client.idempotent(web -> web.post().uri("/internal/leases")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(body)
                .retrieve()
                .bodyToMono(Lease.class), pollTimeout).block());
    }

    /** @return whether job-service asks to cancel */
    boolean heartbeat(String leaseId, int step, int totalSteps) {
        try {
            LeaseMessages.HeartbeatAnswer answer = client.idempotent(web -> web.post()
                    .uri("/internal/leases/{id}/heartbeat", leaseId)
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(new LeaseMessages.Heartbeat(step, totalSteps))
                    .retrieve()
                    .bodyToMono(LeaseMessages.HeartbeatAnswer.class)).block();
            return answer != null && answer.cancelRequested();
        } catch (WebClientResponseException e) {
            throw leaseLostOr(leaseId, e);
        }
    }

    void complete(String leaseId, LeaseMessages.Completion completion) {
        post(leaseId, "complete", completion);
    }

    void fail(String leaseId, LeaseMessages.Failure failure) {
        post(leaseId, "fail", failure);
    }

    void cancelled(String leaseId, LeaseMessages.Cancelled cancelled) {
        post(leaseId, "cancelled", cancelled);
    }

    private void post(String leaseId, String action, Object body) {
        try {
            // Keyed by the lease, so a repeat after a lost answer is harmless.
            client.idempotent(web -> web.post()
                    .uri("/internal/leases/{id}/" + action, leaseId)
                    .contentType(MediaType.APPLICATION_JSON)
                    .bodyValue(body)
                    .retrieve()
                    .toBodilessEntity()).block();
        } catch (WebClientResponseException e) {
            throw leaseLostOr(leaseId, e);
        }
    }

    private static RuntimeException leaseLostOr(String leaseId, WebClientResponseException e) {
        return e.getStatusCode().value() == HttpStatus.GONE.value() ? new LeaseLostException(leaseId) : e;
    }
}
