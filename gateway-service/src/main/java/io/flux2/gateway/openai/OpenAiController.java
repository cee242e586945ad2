package io.flux2.gateway.openai;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyAuthenticator;
import io.flux2.gateway.keys.Caller;
import io.flux2.gateway.submit.JobSubmitter;
import io.flux2.gateway.submit.SubmitRequestValidator;
import io.flux2.gateway.submit.ValidatedRequest;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierCatalog;
import io.flux2.gateway.upstream.AssetServiceClient;
import io.flux2.gateway.upstream.Job;
import io.flux2.gateway.upstream.JobServiceClient;
import io.flux2.gateway.v2.JobWaiter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.MediaType;
import org.springframework.http.ResponseEntity;
import org.springframework.http.codec.multipart.FilePart;
import org.springframework.http.codec.multipart.FormFieldPart;
import org.springframework.http.codec.multipart.Part;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RestController;
import org.springframework.web.server.ResponseStatusException;
import org.springframework.web.server.ServerWebExchange;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAI's Images API on the FLUX.2 job engine: {@code POST /v1/images/generations} (JSON) and
 * {@code POST /v1/images/edits} (multipart, {@code image} or several {@code image[]} files as references).
 * Same keys as {@code x-key}, sent as {@code Authorization: Bearer}. OpenAI's Images API is synchronous, so
 * the request waits for the images (bounded by configuration); a job still unfinished then is cancelled,
 * since a facade client has no id to come back for. {@code n} images are {@code n} jobs, each with its own
 * seed. Errors use OpenAI's shape {@code {error: {message, type, param, code}}}, for this facade only.
 */
@RestController
class OpenAiController {

    private static final Logger log = LoggerFactory.getLogger(OpenAiController.class);
    private static final Pattern SIZE = Pattern.compile("(\\d{1,5})x(\\d{1,5})");

    private final ApiKeyAuthenticator authenticator;
    private final TierCatalog tiers;
    private final SubmitRequestValidator validator;
    private final JobSubmitter submitter;
    private final JobServiceClient jobs;
    private final AssetServiceClient assets;
    private final JobWaiter waiter;
    private final OpenAiProperties properties;

    OpenAiController(ApiKeyAuthenticator authenticator, TierCatalog tiers, SubmitRequestValidator validator,
            JobSubmitter submitter, JobServiceClient jobs, AssetServiceClient assets, JobWaiter waiter,
            OpenAiProperties properties) {
        this.authenticator = authenticator;
        this.tiers = tiers;
        this.validator = validator;
        this.submitter = submitter;
        this.jobs = jobs;
        this.assets = assets;
        this.waiter = waiter;
        this.properties = properties;
    }

    /** The request as the facade reads it, from JSON or from form fields. */
    private record ImageRequest(String prompt, String model, Integer n, String size, String responseFormat,
            String outputFormat, List<String> images) {
    }

    @PostMapping("/v1/images/generations")
    Mono<Map<String, Object>> generations(ServerWebExchange exchange) {
        return authenticator.authenticate(exchange.getRequest()).flatMap(caller -> DataBufferUtils
                .join(exchange.getRequest().getBody(), (int) properties.maxJsonBody().toBytes())
                .onErrorMap(DataBufferLimitException.class, e -> new OpenAiError(HttpStatus.PAYLOAD_TOO_LARGE,
                        "invalid_request_error", null, "request_too_large",
                        "The request body is larger than " + properties.maxJsonBody().toBytes() + " bytes"))
                .map(buffer -> {
                    try {
                        return buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .defaultIfEmpty("{}")
                .map(OpenAiController::parseJson)
                .map(json -> new ImageRequest(text(json, "prompt"), text(json, "model"), integer(json, "n"),
                        text(json, "size"), text(json, "response_format"), text(json, "output_format"), List.of()))
                .flatMap(image -> generate(caller, image)));
    }

    /** Any other body (JSON, say): refused in OpenAI's error shape, which its clients read, not as a problem. */
    @PostMapping("/v1/images/edits")
    Mono<Map<String, Object>> editsNotMultipart(ServerWebExchange exchange) {
        return Mono.error(new OpenAiError(HttpStatus.UNSUPPORTED_MEDIA_TYPE, "invalid_request_error", null,
                "unsupported_media_type", "Send the edit as multipart/form-data: the prompt and the image (or "
                + "image[] files) as parts"));
    }

    @PostMapping(path = "/v1/images/edits", consumes = MediaType.MULTIPART_FORM_DATA_VALUE)
    Mono<Map<String, Object>> edits(ServerWebExchange exchange) {
        return authenticator.authenticate(exchange.getRequest()).flatMap(caller -> exchange.getMultipartData()
                .flatMap(parts -> {
                    List<Part> files = new ArrayList<>();
                    for (String name : List.of("image", "image[]")) {
                        files.addAll(parts.getOrDefault(name, List.of()));
                    }
                    if (parts.containsKey("mask")) {
                        return discard(parts).then(Mono.error(new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", "mask",
                                "unsupported_parameter", "mask is not supported; describe the edit in the prompt")));
                    }
                    if (files.isEmpty()) {
                        return discard(parts).then(Mono.error(new OpenAiError(HttpStatus.BAD_REQUEST,
                                "invalid_request_error", "image", "missing_required_parameter",
                                "image is required: one or more image files")));
                    }
                    return Flux.fromIterable(files).concatMap(OpenAiController::dataUri).collectList()
                            .flatMap(images -> Mono.zip(field(parts, "prompt"), field(parts, "model"),
                                    field(parts, "n"), field(parts, "size"), field(parts, "response_format"),
                                    field(parts, "output_format")).map(f -> new ImageRequest(blank(f.getT1()),
                                    blank(f.getT2()), parseN(blank(f.getT3())), blank(f.getT4()), blank(f.getT5()),
                                    blank(f.getT6()), images)));
                })
                .flatMap(image -> generate(caller, image)));
    }

    private Mono<Map<String, Object>> generate(Caller caller, ImageRequest image) {
        Tier tier = tier(image.model());
        int n = image.n() == null ? 1 : image.n();
        if (n < 1 || n > properties.maxImages()) {
            throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", "n", "invalid_value",
                    "n must be between 1 and " + properties.maxImages());
        }
        String responseFormat = image.responseFormat() != null ? image.responseFormat()
                : image.model() != null && properties.urlModels().contains(image.model().strip()) ? "url" : "b64_json";
        if (!responseFormat.equals("b64_json") && !responseFormat.equals("url")) {
            throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", "response_format", "invalid_value",
                    "response_format must be b64_json or url");
        }
        ObjectNode body = JsonNodeFactory.instance.objectNode();
        if (image.prompt() != null) {
            body.put("prompt", image.prompt());
        }
        if (image.size() != null && !image.size().equalsIgnoreCase("auto")) {
            Matcher size = SIZE.matcher(image.size().strip());
            if (!size.matches()) {
                throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", "size", "invalid_value",
                        "size must be WIDTHxHEIGHT, e.g. 1024x1024, or auto");
            }
            body.put("width", Integer.parseInt(size.group(1)));
            body.put("height", Integer.parseInt(size.group(2)));
        }
        if (image.outputFormat() != null) {
            String format = image.outputFormat().toLowerCase(Locale.ROOT);
            body.put("output_format", format.equals("jpg") ? "jpeg" : format);
        }
        var refs = body.putArray("references");
        image.images().forEach(refs::add);
        // Validated once, before any job: a bad field costs nothing. Each job draws its own seed.
        validator.validate(body, tier, SubmitRequestValidator.Dialect.V2);
        long started = Instant.now().getEpochSecond();
        List<Job> made = new CopyOnWriteArrayList<>();
        return Flux.range(0, n)
                .concatMap(i -> submitOne(caller, body, tier))
                .doOnNext(made::add)
                .collectList()
                // One of the n was refused (rate limit, spend cap, active-job limit): the client gets no image, so
                // the jobs already made for it are cancelled, not left running and billed.
                .onErrorResume(error -> cancel(caller, made).then(Mono.error(error)))
                .flatMap(created -> Flux.fromIterable(created)
                        .flatMap(job -> waiter.awaitOrFail(job, caller.tenantId(), properties.maxWait()))
                        .collectList()
                        .flatMap(finished -> answer(caller, finished, responseFormat, started)));
    }

    /** Best effort: a job whose cancel fails runs on, as it would have without the facade. */
    private Mono<Void> cancel(Caller caller, List<Job> made) {
        return Flux.fromIterable(made)
                .flatMap(job -> jobs.cancel(job.id(), caller.tenantId()).onErrorResume(e -> Mono.empty()))
                .then();
    }

    private Mono<Job> submitOne(Caller caller, ObjectNode body, Tier tier) {
        ValidatedRequest valid = validator.validate(body, tier, SubmitRequestValidator.Dialect.V2);
        return submitter.submit(caller, valid, JobSubmitter.Idempotency.NONE).map(s -> s.created().job());
    }

    private Mono<Map<String, Object>> answer(Caller caller, List<Job> finished, String responseFormat, long created) {
        List<Job> unfinished = finished.stream().filter(job -> !job.terminal()).toList();
        if (!unfinished.isEmpty()) {
            return cancel(caller, unfinished)
                    .then(Mono.error(new OpenAiError(HttpStatus.GATEWAY_TIMEOUT, "server_error", null, "timeout",
                            "The image was not ready within " + properties.maxWait().toSeconds()
                                    + " s; the job was cancelled").notRetryable()));
        }
        for (Job job : finished) {
            String status = job.status();
            if (status.equals("REQUEST_MODERATED") || status.equals("CONTENT_MODERATED")) {
                String stage = status.equals("REQUEST_MODERATED") ? "input" : "output";
                return Mono.error(new OpenAiError(HttpStatus.BAD_REQUEST, "image_generation_user_error", null,
                        "moderation_blocked", "Your request was rejected by the safety system (" + stage + ")"
                        + reasons(job)));
            }
            if (!status.equals("READY") || job.result() == null || job.result().assetId() == null) {
                return Mono.error(new OpenAiError(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", null,
                        status.equals("CANCELLED") ? "cancelled" : "generation_failed",
                        "The image could not be generated (job " + job.id() + " ended as "
                                + status.toLowerCase(Locale.ROOT) + ")").notRetryable());
            }
        }
        return Flux.fromIterable(finished)
                .concatMap(job -> item(job, responseFormat))
                .collectList()
                .map(data -> {
                    Map<String, Object> answer = new LinkedHashMap<>();
                    answer.put("created", created);
                    answer.put("data", data);
                    Job first = finished.get(0);
                    if (first.request() != null && first.request().outputFormat() != null) {
                        answer.put("output_format", first.request().outputFormat());
                    }
                    if (first.result().width() != null && first.result().height() != null) {
                        answer.put("size", first.result().width() + "x" + first.result().height());
                    }
                    return answer;
                });
    }

    private Mono<Map<String, Object>> item(Job job, String responseFormat) {
        String assetId = job.result().assetId();
        Mono<Map<String, Object>> item = responseFormat.equals("url")
                ? assets.presignedUrl(assetId).map(url -> Map.<String, Object>of("url", url))
                : assets.content(assetId).map(bytes -> Map.<String, Object>of("b64_json",
                        Base64.getEncoder().encodeToString(bytes)));
        return item.switchIfEmpty(Mono.error(() -> new OpenAiError(HttpStatus.INTERNAL_SERVER_ERROR, "server_error",
                null, "image_gone", "The generated image is no longer stored")));
    }

    private static String reasons(Job job) {
        JsonNode details = job.details();
        if (details == null || details.get("moderation_reasons") == null) {
            return "";
        }
        List<String> reasons = new ArrayList<>();
        details.get("moderation_reasons").values().forEach(r -> reasons.add(r.asString()));
        return reasons.isEmpty() ? "" : ": " + String.join(", ", reasons);
    }

    private Tier tier(String model) {
        String name = model == null ? properties.defaultTier() : properties.models().getOrDefault(model, model);
        return tiers.byName(name).or(() -> tiers.byRoute(name)).orElseThrow(() -> new OpenAiError(
                HttpStatus.BAD_REQUEST, "invalid_request_error", "model", "model_not_found",
                "The model " + model + " does not exist"));
    }

    private static JsonNode parseJson(String raw) {
        try {
            JsonNode json = tools.jackson.databind.json.JsonMapper.builder().build().readTree(raw);
            if (json == null || !json.isObject()) {
                throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", null, "invalid_json",
                        "The request body must be a JSON object");
            }
            return json;
        } catch (tools.jackson.core.JacksonException e) {
            throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", null, "invalid_json",
                    "The request body is not valid JSON");
        }
    }

    private static String text(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isString()) {
            throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", field, "invalid_type",
                    field + " must be a string");
        }
        return node.stringValue();
    }

    private static Integer integer(JsonNode json, String field) {
        JsonNode node = json.get(field);
        if (node == null || node.isNull()) {
            return null;
        }
        if (!node.isIntegralNumber()) {
            throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", field, "invalid_type",
                    field + " must be an integer");
        }
        return node.asInt();
    }

    private static Integer parseN(String n) {
        if (n == null) {
            return null;
        }
        try {
            return Integer.parseInt(n.strip());
        } catch (NumberFormatException e) {
            throw new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", "n", "invalid_type",
                    "n must be an integer");
        }
    }

    private static String blank(String value) {
        return value == null || value.isEmpty() ? null : value;
    }

    /** Releases the parts of a refused upload. */
    private static Mono<Void> discard(org.springframework.util.MultiValueMap<String, Part> parts) {
        return Flux.fromIterable(parts.values()).flatMapIterable(list -> list)
                .flatMap(Part::content)
                .doOnNext(DataBufferUtils::release)
                .then();
    }

    private static Mono<String> field(org.springframework.util.MultiValueMap<String, Part> parts, String name) {
        Part part = parts.getFirst(name);
        if (part == null) {
            return Mono.just("");
        }
        if (part instanceof FormFieldPart form) {
            return Mono.just(form.value());
        }
        return DataBufferUtils.join(part.content()).map(buffer -> {
            try {
                return buffer.toString(java.nio.charset.StandardCharsets.UTF_8);
            } finally {
                DataBufferUtils.release(buffer);
            }
        }).defaultIfEmpty("");
    }

    /** An uploaded file as a {@code data:} URI asset-service stores as a reference. */
    private static Mono<String> dataUri(Part part) {
        MediaType type = part.headers().getContentType();
        String contentType = type == null || type.equals(MediaType.APPLICATION_OCTET_STREAM) ? "image/png"
                : type.getType() + "/" + type.getSubtype();
        return DataBufferUtils.join(part.content()).map(buffer -> {
            try {
                byte[] bytes = new byte[buffer.readableByteCount()];
                buffer.read(bytes);
                return "data:" + contentType + ";base64," + Base64.getEncoder().encodeToString(bytes);
            } finally {
                DataBufferUtils.release(buffer);
            }
        }).switchIfEmpty(Mono.error(() -> new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error",
                part instanceof FilePart file ? "image" : part.name(), "invalid_value", "An image file is empty")));
    }

    /** Every failure of this facade, in OpenAI's error shape. */
    @ExceptionHandler(Throwable.class)
    ResponseEntity<Map<String, Object>> error(Throwable error) {
        OpenAiError openAi = error instanceof OpenAiError e ? e : translate(error);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("message", openAi.getMessage());
        body.put("type", openAi.type);
        body.put("param", openAi.param);
        body.put("code", openAi.code);
        var response = ResponseEntity.status(openAi.status).contentType(MediaType.APPLICATION_JSON);
        if (openAi.retryAfter >= 0) {
            response.header(HttpHeaders.RETRY_AFTER, Long.toString(openAi.retryAfter));
        }
        if (openAi.notRetryable) {
            // OpenAI's SDKs retry 5xx twice on their own; here each retry would queue new jobs behind a busy
            // queue, or redo one the engine already retried. Both SDKs honour this header.
            response.header("x-should-retry", "false");
        }
        Map<String, Object> wrapper = new LinkedHashMap<>();
        wrapper.put("error", body);
        return response.body(wrapper);
    }

    private static OpenAiError translate(Throwable error) {
        if (error instanceof ApiProblem problem) {
            var detail = problem.toProblemDetail();
            Object field = detail.getProperties() == null ? null : detail.getProperties().get("field");
            String param = field == null ? null : param(field.toString());
            OpenAiError mapped = switch (problem.status().value()) {
                case 401 -> new OpenAiError(HttpStatus.UNAUTHORIZED, "invalid_request_error", null, "invalid_api_key",
                        problem.getMessage());
                // OpenAI reports an exhausted budget as 429 insufficient_quota; its clients know that one.
                case 402 -> new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "insufficient_quota", null,
                        "insufficient_quota", problem.getMessage());
                case 403 -> new OpenAiError(HttpStatus.FORBIDDEN, "invalid_request_error", "model", "model_not_allowed",
                        problem.getMessage());
                case 404 -> new OpenAiError(HttpStatus.NOT_FOUND, "invalid_request_error", param, "not_found",
                        problem.getMessage());
                case 422, 400 -> new OpenAiError(HttpStatus.BAD_REQUEST, "invalid_request_error", param,
                        "invalid_value", problem.getMessage());
                case 429 -> new OpenAiError(HttpStatus.TOO_MANY_REQUESTS, "requests", null, "rate_limit_exceeded",
                        problem.getMessage());
                default -> new OpenAiError(problem.status(), problem.status().is5xxServerError() ? "server_error"
                        : "invalid_request_error", param, null, problem.getMessage());
            };
            mapped.retryAfter = problem.retryAfterSeconds();
            return mapped;
        }
        if (error instanceof ResponseStatusException status) {
            HttpStatus code = HttpStatus.valueOf(status.getStatusCode().value());
            return new OpenAiError(code, code.is5xxServerError() ? "server_error" : "invalid_request_error", null,
                    null, status.getReason() == null ? code.getReasonPhrase() : status.getReason());
        }
        log.error("Unhandled error in the OpenAI facade", error);
        return new OpenAiError(HttpStatus.INTERNAL_SERVER_ERROR, "server_error", null, null,
                "The server failed to handle the request; it has been logged.");
    }

    /** Our field names as the facade's parameters. */
    private static String param(String field) {
        if (field.startsWith("references")) {
            return "image";
        }
        return switch (field) {
            case "width", "height", "width*height" -> "size";
            default -> field;
        };
    }

    /** An error in OpenAI's terms. */
    static final class OpenAiError extends RuntimeException {
        final HttpStatus status;
        final String type;
        final String param;
        final String code;
        long retryAfter = -1;
        /** An answer that asking again would not change: the SDK must not retry it. */
        boolean notRetryable;

        OpenAiError(HttpStatus status, String type, String param, String code, String message) {
            super(message);
            this.status = status;
            this.type = type;
            this.param = param;
            this.code = code;
        }

        OpenAiError notRetryable() {
            this.notRetryable = true;
            return this;
        }
    }
}
