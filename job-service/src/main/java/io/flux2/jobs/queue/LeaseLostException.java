package io.flux2.jobs.queue;

import io.flux2.common.problem.ApiProblem;
import org.springframework.http.HttpStatus;

/** The lease expired and was taken back (or never existed): the worker must drop the job. Answered 410. */
public class LeaseLostException extends ApiProblem {

    public LeaseLostException(Object leaseId) {
        super(HttpStatus.GONE, "Lease no longer held",
                "Lease " + leaseId + " is no longer held; the job has been taken back");
        with("leaseId", String.valueOf(leaseId));
    }
}
