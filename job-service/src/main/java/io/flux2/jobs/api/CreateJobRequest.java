package io.flux2.jobs.api;

import io.flux2.jobs.GenerationRequest;
import jakarta.validation.Valid;
import jakarta.validation.constraints.DecimalMin;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotBlank;
import jakarta.validation.constraints.NotNull;
import jakarta.validation.constraints.Size;
import java.math.BigDecimal;

/**
 * {@code POST /internal/jobs}: the gateway hands over a request it has already validated against the tier.
 *
 * @param apiKeyId       the key that submitted it; its unfinished jobs count against {@code activeJobLimit}
 * @param activeJobLimit the most unfinished jobs the key may have (null: no limit)
 * @param idempotencyKey the client's Idempotency-Key, with {@code requestHash} telling requests apart
 * @param cost           credits the gateway priced the job at
 * @param webhook        where the final status is POSTed, and the secret that signs it
 * @param monthlySpendCap the tenant's credits for this calendar month (UTC), checked with the job's cost against
 *                        what the tenant has spent, under a lock of the tenant's (null: no cap)
 */
public record CreateJobRequest(
        @NotBlank String tenantId,
        @NotBlank String tier,
        @NotBlank String model,
        Integer priority,
        @NotNull @Valid GenerationRequest request,
        @Size(max = 200) String apiKeyId,
        @Min(1) Integer activeJobLimit,
        @Size(min = 1, max = 255) String idempotencyKey,
        @Size(max = 200) String requestHash,
        @DecimalMin("0") BigDecimal cost,
        @Valid Webhook webhook,
        @DecimalMin("0") BigDecimal monthlySpendCap) {

    public record Webhook(@NotBlank @Size(max = 2048) String url, @Size(max = 200) String secret) {
    }
}
