package io.flux2.jobs.intake;

import io.flux2.common.problem.ApiProblem;
import org.springframework.http.HttpStatus;

/** The API key already has as many unfinished jobs as it may: 429 with Retry-After, naming the limit. */
public class ActiveJobLimitReached extends ApiProblem {

    private final long retryAfterSeconds;

    public ActiveJobLimitReached(int limit, long retryAfterSeconds) {
        super(HttpStatus.TOO_MANY_REQUESTS, "Too many active jobs",
                "This API key already has " + limit + " unfinished jobs, its limit; wait for one to finish");
        with("limit", limit);
        this.retryAfterSeconds = retryAfterSeconds;
    }

    @Override
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }
}
