package io.flux2.gateway.results;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;

/** {@code result} of a Ready task: the presigned image URL and the recipe that reproduces it. */
@JsonInclude(JsonInclude.Include.NON_NULL)
record ReadySample(
        String sample,
        long seed,
        String prompt,
        int width,
        int height,
        @JsonProperty("output_format") String outputFormat,
        @JsonProperty("start_time") Double startTime,
        @JsonProperty("end_time") Double endTime,
        Double duration) {
}
