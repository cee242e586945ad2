package io.flux2.jobs;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Max;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import java.time.Duration;
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
        @NotNull @Valid Safety safety) {

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
     * @param inlineWait       how long creating a job waits for the first prompt check before answering
     * @param retryDelay       how long after an attempt a pending safety step is tried again
     * @param sweepInterval    how often the sweeper looks for pending safety steps
     * @param batchSize        the most pending steps one sweep claims
     * @param concurrency      the most safety steps run at once by one sweep
     */
    public record Safety(
            @Min(0) @Max(6) int defaultTolerance,
            @NotNull Duration inlineWait,
            @NotNull Duration retryDelay,
            @NotNull Duration sweepInterval,
            @Min(1) int batchSize,
            @Min(1) int concurrency) {
    }
}
