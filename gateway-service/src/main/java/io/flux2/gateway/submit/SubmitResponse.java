package io.flux2.gateway.submit;

import com.fasterxml.jackson.annotation.JsonProperty;

/** BFL's submit answer. */
record SubmitResponse(
        String id,
        @JsonProperty("polling_url") String pollingUrl,
        double cost,
        @JsonProperty("input_mp") double inputMp,
        @JsonProperty("output_mp") double outputMp) {
}
