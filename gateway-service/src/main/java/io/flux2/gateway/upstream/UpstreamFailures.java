package io.flux2.gateway.upstream;

import io.flux2.common.problem.ApiProblem;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.client.WebClientResponseException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What a client hears when a call behind the gateway fails: a service that is down, slow, failing or
 * behind an open circuit breaker is a 503 with Retry-After; an answer the gateway cannot use is a 502.
 * Neither is the client's fault, and neither should read as the gateway's own 500. The few refusals that
 * are about the client's request ({@link #PASSED_THROUGH}: an idempotency conflict, the active-job limit)
 * reach the client as job-service worded them, with their extension members and Retry-After.
 */
@Component
public class UpstreamFailures {

    private static final Logger log = LoggerFactory.getLogger(UpstreamFailures.class);
    private static final JsonMapper JSON = JsonMapper.builder().build();
    /** 409 in-flight duplicate, 410 gone, 422 same key other body, 429 active-job limit. */
    static final Set<Integer> PASSED_THROUGH = Set.of(402, 409, 410, 422, 429);
    private static final Set<String> STANDARD_MEMBERS = Set.of("type", "title", "status", "detail", "instance");

    private final long retryAfterSeconds;

    public UpstreamFailures(UpstreamProperties properties) {
        this.retryAfterSeconds = Math.max(1, properties.retryAfter().toSeconds());
    }

    public Throwable translate(String service, Throwable error) {
        if (error instanceof ApiProblem) {
            return error;
        }
        if (isUnavailable(error)) {
            log.warn("{} is unavailable: {}", service, error.toString());
            return ApiProblem.unavailable("The service is temporarily unable to take this request; try again shortly",
                    retryAfterSeconds);
        }
        if (error instanceof WebClientResponseException response
                && PASSED_THROUGH.contains(response.getStatusCode().value())) {
            return passThrough(response);
        }
        log.error("{} gave an answer the gateway cannot use", service, error);
        return new ApiProblem(HttpStatus.BAD_GATEWAY, "Bad gateway",
                "A service behind the gateway gave an unexpected answer; it has been logged");
    }

    /** job-service's problem as the client's: same status, title, detail, extension members and Retry-After. */
    static ApiProblem passThrough(WebClientResponseException response) {
        HttpStatus status = HttpStatus.valueOf(response.getStatusCode().value());
        JsonNode body = readProblem(response);
        String title = text(body, "title", status.getReasonPhrase());
        String detail = text(body, "detail", status.getReasonPhrase());
        long retryAfter = parseRetryAfter(response.getHeaders().getFirst(HttpHeaders.RETRY_AFTER));
        PassedThroughProblem problem = new PassedThroughProblem(status, title, detail, retryAfter);
        if (body != null && body.isObject()) {
            for (var entry : body.properties()) {
                if (!STANDARD_MEMBERS.contains(entry.getKey())) {
                    problem.with(entry.getKey(), plain(entry.getValue()));
                }
            }
        }
        return problem;
    }

    /** Scalars as Java values, so a {@code field} reads as a String to whoever inspects the problem. */
    private static Object plain(JsonNode value) {
        if (value.isString()) {
            return value.stringValue();
        }
        if (value.isNumber()) {
            return value.numberValue();
        }
        if (value.isBoolean()) {
            return value.booleanValue();
        }
        return value.isNull() ? null : value;
    }

    private static JsonNode readProblem(WebClientResponseException response) {
        try {
            String raw = response.getResponseBodyAsString();
            return raw == null || raw.isBlank() ? null : JSON.readTree(raw);
        } catch (RuntimeException e) {
            return null;
        }
    }

    private static String text(JsonNode body, String field, String fallback) {
        JsonNode node = body == null ? null : body.get(field);
        return node == null || !node.isString() ? fallback : node.stringValue();
    }

    private static long parseRetryAfter(String header) {
        if (header == null) {
            return -1;
        }
        try {
            return Math.max(0, Long.parseLong(header.strip()));
        } catch (NumberFormatException e) {
            return 1;
        }
    }

    private static boolean isUnavailable(Throwable error) {
        if (error instanceof WebClientResponseException response) {
            return response.getStatusCode().is5xxServerError();
        }
        return error instanceof CallNotPermittedException || error instanceof WebClientRequestException
                || error instanceof TimeoutException || error instanceof IOException;
    }

    /** An upstream problem that keeps its Retry-After. */
    public static final class PassedThroughProblem extends ApiProblem {

        private final long retryAfter;

        public PassedThroughProblem(HttpStatus status, String title, String detail, long retryAfter) {
            super(status, title, detail);
            this.retryAfter = retryAfter;
        }

        @Override
        public long retryAfterSeconds() {
            return retryAfter;
        }
    }
}
