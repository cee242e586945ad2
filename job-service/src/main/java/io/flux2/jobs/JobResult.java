package io.flux2.jobs;

import jakarta.validation.constraints.NotBlank;

/** The output an inference pod stored through asset-service, as it reports it on completion. */
public record JobResult(
        @NotBlank String assetId,
        Long seed,
        Integer width,
        Integer height,
        String contentType) {
}
