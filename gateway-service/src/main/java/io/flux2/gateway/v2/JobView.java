package io.flux2.gateway.v2;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import io.flux2.gateway.upstream.AssetServiceClient;
import io.flux2.gateway.upstream.Job;
import java.util.Locale;
import tools.jackson.databind.JsonNode;

/**
 * A job as {@code /v2} shows it: job-service's status in lower case ({@code awaiting_safety}, {@code queued},
 * {@code running}, {@code checking_output}, {@code ready}, {@code request_moderated},
 * {@code content_moderated}, {@code error}, {@code cancelled}), its recipe, its result and links.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record JobView(
        String id,
        String status,
        String tier,
        String model,
        Double progress,
        Double cost,
        @JsonProperty("input_mp") Double inputMp,
        @JsonProperty("output_mp") Double outputMp,
        @JsonProperty("steps_run") Integer stepsRun,
        @JsonProperty("total_steps") Integer totalSteps,
        @JsonProperty("cancel_requested") Boolean cancelRequested,
        Recipe recipe,
        Result result,
        JsonNode details,
        @JsonProperty("created_at") String createdAt,
        @JsonProperty("updated_at") String updatedAt,
        Links links) {

    /** A ready job's image; {@code url} is a fresh presigned GET where the view was made with one. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    public record Result(
            @JsonProperty("asset_id") String assetId,
            String url,
            @JsonProperty("url_expires_at") String urlExpiresAt,
            Long seed,
            Integer width,
            Integer height,
            @JsonProperty("content_type") String contentType) {
    }

    public record Links(String self, String events, String result, String recipe, String cancel, String replay) {
    }

    public static JobView of(Job job) {
        return of(job, null, null, null);
    }

    public static JobView of(Job job, AssetServiceClient.PresignedUrl url, Double inputMp, Double outputMp) {
        Result result = null;
        if (job.result() != null) {
            Job.Result r = job.result();
            result = new Result(r.assetId(), url == null ? null : url.url(), url == null ? null : url.expiresAt(),
                    r.seed(), r.width(), r.height(), r.contentType());
        }
        String self = "/v2/jobs/" + job.id();
        return new JobView(job.id(), status(job.status()), job.tier(), job.model(), job.progress(), job.cost(),
                inputMp, outputMp, job.stepsRun(), job.totalSteps(),
                Boolean.TRUE.equals(job.cancelRequested()) ? Boolean.TRUE : null, Recipe.of(job), result,
                job.details() == null || job.details().isNull() ? null : job.details(), job.createdAt(),
                job.updatedAt(), new Links(self, self + "/events", self + "/result", self + "/recipe",
                        self + "/cancel", self + "/replay"));
    }

    static String status(String status) {
        return status == null ? null : status.toLowerCase(Locale.ROOT);
    }
}
