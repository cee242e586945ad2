package io.flux2.jobs.intake;

import io.flux2.common.problem.ApiProblem;
import io.flux2.jobs.Job;
import io.flux2.jobs.JobStatus;
import io.flux2.jobs.JobsProperties;
import io.flux2.jobs.queue.QueueSignal;
import io.flux2.jobs.safety.PromptScreening;
import io.flux2.jobs.safety.SafetyGate;
import io.flux2.jobs.store.JobStore;
import io.flux2.jobs.store.NewJob;
import io.flux2.jobs.usage.Usage;
import io.r2dbc.spi.R2dbcException;
import java.math.BigDecimal;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.UUID;
import org.springframework.http.HttpStatus;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import org.springframework.transaction.ReactiveTransactionManager;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/**
 * Creates a job, settling its API key's active-job limit and its Idempotency-Key. Both hold across replicas
 * and leave nothing stuck after a crash:
 * <ul>
 *   <li>the limit is checked by the insert itself, under the row lock of the key's count
 *       ({@link JobStore#create(NewJob, int, java.time.Duration, Integer)}), so a create without an
 *       Idempotency-Key is one statement, shared with the creates that arrive while it waits
 *       ({@link CreateBatches});</li>
 *   <li>with an Idempotency-Key the create runs in a transaction holding a transaction-scoped advisory lock
 *       on the key, which is only tried: a second create with the same key while the first is still in its
 *       transaction is answered 409 at once; after the first committed it finds the stored key and replays
 *       (same request hash) or is refused 422 (another hash);</li>
 *   <li>with a monthly spend cap the create runs in a transaction holding a transaction-scoped advisory lock on
 *       the tenant: what the tenant has spent this month plus the job's cost must stay within the cap (else 402),
 *       and the creates of one tenant wait for each other, so concurrent submits cannot overshoot it.</li>
 * </ul>
 * A job stored AWAITING_SAFETY has its checks started here once it is committed (see {@link PromptScreening}).
 */
@Component
public class JobIntake {

    private static final int IDEMPOTENCY_LOCKS = 4201;
    private static final int SPEND_CAP_LOCKS = 4202;

    /** What {@link #create} did. */
    public sealed interface Outcome {
        Job job();
    }

    public record Created(Job job) implements Outcome {
    }

    /** An earlier create with the same Idempotency-Key and request hash; nothing new was created. */
    public record Replayed(Job job) implements Outcome {
    }

    private final DatabaseClient db;
    private final JobStore store;
    private final TransactionalOperator transaction;
    private final JobsProperties properties;
    private final CreateBatches batches;
    private final PromptScreening screening;
    private final Usage usage;

    public JobIntake(DatabaseClient db, JobStore store, ReactiveTransactionManager transactions, SafetyGate gate,
            QueueSignal signal, PromptScreening screening, Usage usage, JobsProperties properties) {
        this.db = db;
        this.usage = usage;
        this.store = store;
        this.transaction = TransactionalOperator.create(transactions);
        this.properties = properties;
        this.batches = new CreateBatches(store, gate, signal, screening, properties);
        this.screening = screening;
    }

    /**
     * @param idempotencyKey null for none
     * @param activeJobLimit null for no limit; applies only with an {@code apiKeyId}
     * @param spendCap       the tenant's credits for this month (UTC), null for no cap
     */
    public Mono<Outcome> create(NewJob job, String idempotencyKey, String requestHash, Integer activeJobLimit,
            BigDecimal spendCap) {
        if (idempotencyKey == null && spendCap == null) {
            // One safety call and one statement, limit included, shared with the creates that arrive meanwhile.
            return batches.create(job, activeJobLimit)
                    .switchIfEmpty(Mono.error(() -> new ActiveJobLimitReached(activeJobLimit,
                            properties.activeJobs().retryAfter().toSeconds())))
                    .map(Created::new);
        }
        Mono<Outcome> work = Mono.defer(() -> {
            Mono<Outcome> fresh = withinSpendCap(job, spendCap)
                    .then(Mono.defer(() -> store.create(job, properties.maxAttempts(),
                            properties.safety().retryDelay(), activeJobLimit)))
                    .switchIfEmpty(Mono.error(() -> new ActiveJobLimitReached(activeJobLimit,
                            properties.activeJobs().retryAfter().toSeconds())))
                    .flatMap(created -> (idempotencyKey == null ? Mono.<Void>empty()
                            : remember(job.tenantId(), idempotencyKey, requestHash, created.id()))
                            .thenReturn(new Created(created)));
            return idempotencyKey == null ? fresh
                    : earlier(job.tenantId(), idempotencyKey, requestHash).<Outcome>map(Replayed::new)
                            .switchIfEmpty(fresh);
        });
        // Its prompt check starts once the transaction has committed the job.
        return transaction.transactional(work)
                .doOnNext(outcome -> {
                    if (outcome instanceof Created created && created.job().status() == JobStatus.AWAITING_SAFETY) {
                        screening.screen(created.job());
                    }
                });
    }

    /**
     * The job an earlier, committed create with this Idempotency-Key made, when the request hash matches; a 422
     * problem when it was made with another request; empty when the key is unknown (or its create is still in
     * flight). Takes no lock, so the gateway can answer a retry before it spends the caller's rate limit or
     * checks the spend cap, which the first create already passed.
     */
    public Mono<Job> replay(String tenantId, String idempotencyKey, String requestHash) {
        return stored(tenantId, idempotencyKey).flatMap(stored -> sameRequest(stored, requestHash));
    }

    /**
     * Waits for the tenant's spend lock (held to the end of the transaction), then refuses with 402 when this
     * month's spending plus the job's cost would pass the cap.
     */
    private Mono<Void> withinSpendCap(NewJob job, BigDecimal cap) {
        if (cap == null) {
            return Mono.empty();
        }
        BigDecimal cost = job.cost() == null ? BigDecimal.ZERO : job.cost();
        // lock_timeout bounds the wait for the lock, then is lifted again for the rest of the transaction.
        return db.sql("select set_config('lock_timeout', :wait, true)")
                .bind("wait", properties.spendCaps().lockWait().toMillis() + "ms")
                .then()
                .then(Mono.defer(() -> db.sql("select pg_advisory_xact_lock(:space, hashtext(:tenantId))")
                        .bind("space", SPEND_CAP_LOCKS)
                        .bind("tenantId", job.tenantId())
                        .then()))
                .onErrorMap(JobIntake::isLockTimeout,
                        e -> new TenantBusy(Math.max(1, properties.spendCaps().retryAfter().toSeconds())))
                .then(Mono.defer(() -> db.sql("select set_config('lock_timeout', '0', true)").then()))
                .then(Mono.defer(() -> usage.spentIn(job.tenantId(), YearMonth.now(ZoneOffset.UTC))))
                .flatMap(spent -> spent.add(cost).compareTo(cap) <= 0 ? Mono.<Void>empty()
                        : Mono.error(new SpendCapReached(cost, spent, cap)));
    }

    /** PostgreSQL's lock_not_available (55P03), wherever the driver wrapped it. */
    private static boolean isLockTimeout(Throwable error) {
        for (Throwable e = error; e != null; e = e.getCause()) {
            if (e instanceof R2dbcException r2dbc && "55P03".equals(r2dbc.getSqlState())) {
                return true;
            }
        }
        return false;
    }

    /** The job an earlier create with this key made, if the hash matches; errors if it is in flight or differs. */
    private Mono<Job> earlier(String tenantId, String key, String requestHash) {
        return db.sql("select pg_try_advisory_xact_lock(:space, hashtext(:tenantId || chr(10) || :key)) as locked")
                .bind("space", IDEMPOTENCY_LOCKS)
                .bind("tenantId", tenantId)
                .bind("key", key)
                .map(row -> Boolean.TRUE.equals(row.get("locked", Boolean.class)))
                .one()
                .flatMap(locked -> locked ? Mono.empty() : Mono.error(() -> new ApiProblem(HttpStatus.CONFLICT,
                        "Request in progress", "A request with this Idempotency-Key is still being processed; "
                        + "retry it shortly").with("field", "Idempotency-Key")))
                .then(stored(tenantId, key))
                .flatMap(stored -> sameRequest(stored, requestHash));
    }

    private Mono<Stored> stored(String tenantId, String key) {
        return db.sql("""
                        select request_hash, job_id from jobs.idempotency_keys
                        where tenant_id = :tenantId and key = :key
                          and created_at > now() - :ttlMs * interval '1 millisecond'
                        """)
                .bind("tenantId", tenantId)
                .bind("key", key)
                .bind("ttlMs", properties.idempotency().ttl().toMillis())
                .map(row -> new Stored(row.get("request_hash", String.class), row.get("job_id", UUID.class)))
                .one();
    }

    private Mono<Job> sameRequest(Stored stored, String requestHash) {
        return Objects.equals(stored.requestHash(), requestHash)
                ? store.find(stored.jobId())
                : Mono.error(() -> ApiProblem.invalidField("Idempotency-Key",
                        "This Idempotency-Key was already used with a different request"));
    }

    private Mono<Void> remember(String tenantId, String key, String requestHash, UUID jobId) {
        var spec = db.sql("""
                        insert into jobs.idempotency_keys (tenant_id, key, request_hash, job_id)
                        values (:tenantId, :key, :hash, :jobId)
                        on conflict (tenant_id, key) do update
                            set request_hash = excluded.request_hash, job_id = excluded.job_id, created_at = now()
                        """)
                .bind("tenantId", tenantId)
                .bind("key", key)
                .bind("jobId", jobId);
        spec = requestHash == null ? spec.bindNull("hash", String.class) : spec.bind("hash", requestHash);
        return spec.then();
    }

    private record Stored(String requestHash, UUID jobId) {
    }
}
