package io.flux2.gateway.results;

import io.flux2.gateway.upstream.AssetServiceClient;
import io.flux2.gateway.upstream.Job;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;

/**
 * Translates job-service's statuses into BFL's. BFL has one in-progress status, so the four internal ones
 * before completion all read as {@code Pending}; clients that know only BFL's enum never see a surprise.
 */
@Component
class JobStatusMapper {

    static final String MODERATION_REASONS = "Moderation Reasons";
    static final String JOB_MODERATION_REASONS = "moderation_reasons";

    private final AssetServiceClient assets;

    JobStatusMapper(AssetServiceClient assets) {
        this.assets = assets;
    }

    Mono<BflResult> toResult(Job job) {
        String status = job.status() == null ? "" : job.status();
        return switch (status) {
            case "AWAITING_SAFETY", "QUEUED", "RUNNING", "CHECKING_OUTPUT" ->
                    Mono.just(new BflResult(job.id(), BflResult.PENDING, null, progress(job), null));
            case "READY" -> ready(job);
            case "REQUEST_MODERATED" -> Mono.just(moderated(job, BflResult.REQUEST_MODERATED));
            case "CONTENT_MODERATED" -> Mono.just(moderated(job, BflResult.CONTENT_MODERATED));
            case "ERROR" -> Mono.just(new BflResult(job.id(), BflResult.ERROR, null, null, errorDetails(job.details())));
            // BFL has no cancel and so no status for it; Error is the terminal status its clients stop polling
            // on, and the details say it was a cancel rather than a failure.
            case "CANCELLED" -> Mono.just(new BflResult(job.id(), BflResult.ERROR, null, null, cancelled(job)));
            // A status added to job-service later (e.g. a cancel) must still read as one of BFL's.
            default -> Mono.just(new BflResult(job.id(), BflResult.ERROR, null, null,
                    Map.of("message", "The task ended as " + status.toLowerCase(java.util.Locale.ROOT))));
        };
    }

    private static double progress(Job job) {
        double progress = job.progress() == null ? 0 : job.progress();
        return Math.max(0, Math.min(1, progress));
    }

    private Mono<BflResult> ready(Job job) {
        Job.Result result = job.result();
        if (result == null || result.assetId() == null) {
            return Mono.just(new BflResult(job.id(), BflResult.ERROR, null, null,
                    Map.of("message", "The task finished without an image")));
        }
        // An image past retention is gone for good; BFL answers an expired task the same way.
        return assets.presignedUrl(result.assetId())
                .map(url -> new BflResult(job.id(), BflResult.READY, sample(job, url), 1.0, null))
                .defaultIfEmpty(BflResult.notFound(job.id()));
    }

    private static ReadySample sample(Job job, String url) {
        Job.Result result = job.result();
        var request = job.request();
        long seed = result.seed() != null ? result.seed() : request != null && request.seed() != null ? request.seed() : 0;
        int width = result.width() != null ? result.width() : request != null && request.width() != null ? request.width() : 0;
        int height = result.height() != null ? result.height()
                : request != null && request.height() != null ? request.height() : 0;
        Double start = epochSeconds(job.createdAt());
        Double end = epochSeconds(job.updatedAt());
        Double duration = start != null && end != null ? Math.round((end - start) * 1000) / 1000d : null;
        return new ReadySample(url, seed, request == null ? null : request.prompt(), width, height,
                request == null ? null : request.outputFormat(), start, end, duration);
    }

    private static Double epochSeconds(String timestamp) {
        if (timestamp == null) {
            return null;
        }
        try {
            var instant = OffsetDateTime.parse(timestamp).toInstant();
            return instant.getEpochSecond() + instant.getNano() / 1e9;
        } catch (DateTimeParseException e) {
            return null;
        }
    }

    private static BflResult moderated(Job job, String status) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put(MODERATION_REASONS, reasons(job.details()));
        return new BflResult(job.id(), status, null, null, details);
    }

    /** BFL's shape is {@code {"Moderation Reasons": [...]}}; job-service keeps them under {@code moderation_reasons}. */
    private static List<String> reasons(JsonNode details) {
        List<String> reasons = new ArrayList<>();
        if (details != null && details.get(JOB_MODERATION_REASONS) != null) {
            details.get(JOB_MODERATION_REASONS).values().forEach(reason -> reasons.add(reason.asString()));
        }
        return reasons;
    }

    private static Map<String, Object> cancelled(Job job) {
        Map<String, Object> details = new LinkedHashMap<>();
        details.put("message", "The task was cancelled");
        details.put("cancelled", true);
        if (job.stepsRun() != null) {
            details.put("steps_run", job.stepsRun());
        }
        return details;
    }

    private static Object errorDetails(JsonNode details) {
        if (details == null || details.isNull()) {
            return Map.of("message", "The task failed");
        }
        return details.isObject() ? details : Map.of("message", details.asString());
    }
}
