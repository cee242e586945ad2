package io.flux2.gateway.v2;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.flux2.gateway.upstream.GenerationRequest;
import io.flux2.gateway.upstream.Job;
import java.util.List;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Everything it takes to generate a job's image again: the gateway resolved every default (seed included)
 * before the job was created, and references are the stored asset ids in model order. Posting it (minus
 * {@code model}) to {@code /v2/jobs} makes the same request; {@code /v2/jobs/{id}/replay} does exactly that.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record Recipe(
        String tier,
        String model,
        String prompt,
        Integer width,
        Integer height,
        Long seed,
        Integer steps,
        Double guidance,
        List<String> references,
        @JsonProperty("output_format") String outputFormat,
        @JsonProperty("safety_tolerance") Integer safetyTolerance,
        @JsonProperty("prompt_upsampling") Boolean promptUpsampling) {

    static Recipe of(Job job) {
        GenerationRequest r = job.request();
        if (r == null) {
            return new Recipe(job.tier(), job.model(), null, null, null, null, null, null, List.of(), null, null, null);
        }
        return new Recipe(job.tier(), job.model(), r.prompt(), r.width(), r.height(), r.seed(), r.steps(),
                r.guidance(), r.references() == null ? List.of() : r.references(), r.outputFormat(),
                r.safetyTolerance(), r.promptUpsampling() != null && r.promptUpsampling());
    }

    /** As a {@code /v2/jobs} body. */
    ObjectNode toJobBody() {
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        body.put("tier", tier);
        body.put("prompt", prompt);
        if (width != null) {
            body.put("width", width);
        }
        if (height != null) {
            body.put("height", height);
        }
        if (seed != null) {
            body.put("seed", seed);
        }
        if (steps != null) {
            body.put("steps", steps);
        }
        if (guidance != null) {
            body.put("guidance", guidance);
        }
        var refs = body.putArray("references");
        if (references != null) {
            references.forEach(refs::add);
        }
        if (outputFormat != null) {
            body.put("output_format", outputFormat);
        }
        if (safetyTolerance != null) {
            body.put("safety_tolerance", safetyTolerance);
        }
        if (promptUpsampling != null) {
            body.put("prompt_upsampling", promptUpsampling);
        }
        return body;
    }
}
