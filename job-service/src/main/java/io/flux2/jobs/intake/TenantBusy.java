package io.flux2.jobs.intake;

import io.flux2.common.problem.ApiProblem;
import org.springframework.http.HttpStatus;

/** 429: the tenant's other creates held its spend lock longer than a create may wait for it. */
final class TenantBusy extends ApiProblem {

    private final long retryAfterSeconds;

    TenantBusy(long retryAfterSeconds) {
        super(HttpStatus.TOO_MANY_REQUESTS, "Tenant busy", "This tenant's other submissions are being checked "
                + "against its spend cap; try again shortly");
        this.retryAfterSeconds = retryAfterSeconds;
    }

    @Override
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
