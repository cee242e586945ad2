package io.flux2.jobs.queue;

import io.flux2.jobs.Job;
import io.flux2.jobs.JobStatus;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.PeriodicTask;
import io.flux2.jobs.store.Transitions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;

/**
 * Takes back leases whose worker stopped heartbeating (pod killed, node lost): the job is queued again after
 * the same backoff as a retryable failure (a job that kills its worker must not take down the next one at once),
 * or fails once it has used all its attempts, or ends CANCELLED when a cancel was waiting for the worker.
 * One UPDATE does it all, so replicas sweeping at the same
 * time never both act on one job.
 */
@Component
public class LeaseExpirySweeper extends PeriodicTask {

    private static final Logger log = LoggerFactory.getLogger(LeaseExpirySweeper.class);

    private final Transitions transitions;
    private final QueueSignal signal;
    private final JobsProperties.Retry retry;

    public LeaseExpirySweeper(Transitions transitions, QueueSignal signal, JobsProperties properties) {
        super("lease expiry sweep", properties.leases().expirySweepInterval());
        this.transitions = transitions;
        this.signal = signal;
        this.retry = properties.retry();
    }

    @Override
    protected Flux<Job> sweep() {
        String giveUp = "(j.cancel_requested or j.attempts >= j.max_attempts)";
        return transitions.apply("""
                        update jobs.jobs j
                        set status = case when j.cancel_requested then 'CANCELLED'
                                          when %1$s then 'ERROR' else 'QUEUED' end,
                            details = case when j.cancel_requested
                                then jsonb_build_object('message', 'cancelled on request')
                                when %1$s
                                then jsonb_build_object('message', 'lease expired '
                                     || (select count(*) + 1 from jobs.job_events e
                                         where e.job_id = j.id and e.type = 'LEASE_EXPIRED') || ' times')
                                else j.details end,
                            lease_id = case when %1$s then j.lease_id else null end,
                            progress = case when %1$s then j.progress else 0 end,
                            lease_expires_at = null, updated_at = now(),
                            available_at = case when %1$s then j.available_at
                                else now() + least(:backoffMs * power(2, j.attempts - 1), :maxBackoffMs)
                                             * interval '1 millisecond' end
                        where j.status = 'RUNNING' and j.lease_expires_at < now()
                        """.formatted(giveUp),
                        "'LEASE_EXPIRED'",
                        "jsonb_build_object('status', c.status, 'workerId', c.lease_owner, 'attempt', c.attempts, "
                                + "'stepsRun', c.steps_run)",
                        spec -> spec.bind("backoffMs", retry.initialBackoff().toMillis())
                                .bind("maxBackoffMs", retry.maxBackoff().toMillis()))
                .doOnNext(job -> {
                    log.info("Lease of job {} (worker {}, attempt {}) expired; job is now {}",
                            job.id(), job.leaseOwner(), job.attempts(), job.status());
                    if (job.status() == JobStatus.QUEUED) {
                        signal.queued(job.model());
                    }
                });
    }
}
