package io.flux2.inference.worker;

/** job-service answered 410: the lease expired and the job may already be running elsewhere. */
class LeaseLostException extends RuntimeException {

    LeaseLostException(String leaseId) {
        super("Lease " + leaseId + " is no longer held by this worker");
    }
}
