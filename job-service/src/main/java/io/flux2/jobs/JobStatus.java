package io.flux2.jobs;

/** Where a job stands. The first four are "in progress" (BFL's {@code Pending}); the rest are final. */
public enum JobStatus {
    AWAITING_SAFETY,
    QUEUED,
    RUNNING,
    CHECKING_OUTPUT,
    READY,
    REQUEST_MODERATED,
    CONTENT_MODERATED,
    ERROR,
    CANCELLED;

    /** Whether the job has ended: nothing changes its status any more. */
    public boolean isFinal() {
        return ordinal() >= READY.ordinal();
    }
}
