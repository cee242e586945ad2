package io.flux2.jobs;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
import java.util.List;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.validation.annotation.Validated;

/**
 * Every limit and interval of job-service: {@code flux.jobs.*}. The defaults live in job-service.yaml.
 *
 * @param maxAttempts how many leases a job gets before it fails (expired leases and retryable failures count)
 */
@Validated
@ConfigurationProperties("flux.jobs")
public record JobsProperties(
        @Min(1) int maxAttempts,
        @NotNull @Valid Leases leases,
        @NotNull @Valid Retry retry,
        @NotNull @Valid Safety safety,
        @NotNull @Valid Intake intake,
        @NotNull @Valid Idempotency idempotency,
        @NotNull @Valid ActiveJobs activeJobs,
        @NotNull @Valid SpendCaps spendCaps,
        @NotNull @Valid Events events,
        @NotNull @Valid Listing listing,
        @NotNull @Valid Listen listen,
        @NotNull @Valid Retention retention,
        @NotNull @Valid Webhooks webhooks,
        @NotNull @Valid Metrics metrics) {

    /**
     * @param duration            how long a lease lives without a heartbeat; each heartbeat extends it by this
     * @param maxWait             the longest long-poll a worker may ask for
     * @param pollInterval        how often a waiting long-poll looks at the queue again
     * @param expirySweepInterval how often expired leases are taken back
     * @param maxModels           the most models one lease request may name
     */
    public record Leases(
            @NotNull Duration duration,
            @NotNull Duration maxWait,
            @NotNull Duration pollInterval,
            @NotNull Duration expirySweepInterval,
            @Min(1) int maxModels) {
    }

    /**
     * Backoff before a job that failed retryably may be leased again: {@code initialBackoff * 2^(attempt-1)},
     * at most {@code maxBackoff}.
     */
    public record Retry(@NotNull Duration initialBackoff, @NotNull Duration maxBackoff) {
    }

    /**
     * @param defaultTolerance tolerance sent when a request names none (BFL's default is 2)
     * @param promptBatchSize  the most new jobs' prompts sent to safety-service in one check
     * @param promptBatches    the most of those batch checks in flight at once in one replica
     * @param checkBeforeCreateWait how long a create waits for its prompt's verdict before storing the job
     *                         AWAITING_SAFETY to be checked afterwards
     * @param retryDelay       how long after an attempt a pending safety step is tried again
     * @param sweepInterval    how often the sweeper looks for pending safety steps
     * @param batchSize        the most pending steps one sweep claims
     * @param concurrency      the most safety steps run at once by one sweep
     */
    public record Safety(
            @Min(0) @Max(6) int defaultTolerance,
            @Min(1) int promptBatchSize,
            @Min(1) int promptBatches,
            @NotNull Duration checkBeforeCreateWait,
            @NotNull Duration retryDelay,
            @NotNull Duration sweepInterval,
            @Min(1) int batchSize,
            @Min(1) int concurrency) {
    }

    /**
     * @param batchSize the most creates written in one statement; creates gather only while others are written
     * @param batches   the most of those statements in flight at once in one replica
     */
    public record Intake(@Min(1) int batchSize, @Min(1) int batches) {
    }

    /** @param ttl how long an Idempotency-Key is remembered; after that the same key creates a new job */
    public record Idempotency(@NotNull Duration ttl) {
    }

    /** @param retryAfter what the 429 of a reached active-job limit tells the client to wait */
    public record ActiveJobs(@NotNull Duration retryAfter) {
    }

    /**
     * @param lockWait   how long a create of a capped tenant waits for the tenant's spend lock (held by the
     *                   tenant's other creates, one at a time) before it is answered 429, so waiting creates do not
     *                   hold the database connections every other request needs
     * @param retryAfter what that 429 tells the client to wait
     */
    public record SpendCaps(@NotNull Duration lockWait, @NotNull Duration retryAfter) {
    }

    /**
     * @param pollInterval how often an SSE stream looks for new events when no NOTIFY woke it
     * @param keepalive    how often an idle SSE stream sends a comment line, so proxies keep it open
     */
    public record Events(@NotNull Duration pollInterval, @NotNull Duration keepalive) {
    }

    /** @param defaultLimit page size of a list without {@code limit}; @param maxLimit the largest page */
    public record Listing(@Min(1) int defaultLimit, @Min(1) int maxLimit) {
    }

    /**
     * The LISTEN connection that wakes long-polls and SSE streams.
     *
     * @param enabled        off: only polling wakes them
     * @param reconnectDelay wait before opening it again after it dropped
     * @param pingInterval   how often it is checked with a query, so a silently dead connection is noticed
     */
    public record Listen(boolean enabled, @NotNull Duration reconnectDelay, @NotNull Duration pingInterval) {
    }

    /**
     * @param maxAge        finished jobs older than this (since their last change) are deleted with their output
     * @param sweepInterval how often the retention sweeper runs
     * @param batchSize     the most jobs one sweep deletes
     */
    public record Retention(@NotNull Duration maxAge, @NotNull Duration sweepInterval, @Min(1) int batchSize) {
    }

    /**
     * @param dispatchInterval how often due deliveries are looked for
     * @param batchSize        the most deliveries one dispatch claims
     * @param concurrency      the most deliveries sent at once
     * @param timeout          connect + response time allowed per attempt
     * @param initialBackoff   wait after the first failed attempt; doubled each time up to maxBackoff
     * @param maxBackoff       the longest wait between attempts
     * @param maxAttempts      attempts before a delivery is given up
     * @param maxDuration      retries stop this long after the first attempt (or a redelivery)
     * @param allowlist        hosts exempt from the SSRF guard, on any port (an entry is compared with the bare host)
     * @param sampleUrlTtl     how long the image URL in a ready job's message works (signed anew for each attempt)
     */
    public record Webhooks(
            @NotNull Duration dispatchInterval,
            @Min(1) int batchSize,
            @Min(1) int concurrency,
            @NotNull Duration timeout,
            @NotNull Duration initialBackoff,
            @NotNull Duration maxBackoff,
            @Min(1) int maxAttempts,
            @NotNull Duration maxDuration,
            List<String> allowlist,
            @NotNull Duration sampleUrlTtl) {

        public Webhooks {
            allowlist = allowlist == null ? List.of() : List.copyOf(allowlist);
        }
    }

    /** @param refreshInterval how often the {@code flux.jobs.queued} gauge is recounted */
    public record Metrics(@NotNull Duration refreshInterval) {
    }
}
