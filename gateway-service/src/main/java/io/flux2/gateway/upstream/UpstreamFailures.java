package io.flux2.gateway.upstream;

import io.flux2.common.problem.ApiProblem;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import java.io.IOException;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import org.springframework.web.reactive.function.client.WebClientRequestException;
import org.springframework.web.reactive.function.client.WebClientResponseException;

/**
 * What a client hears when a call behind the gateway fails: a service that is down, slow, failing or
 * behind an open circuit breaker is a 503 with Retry-After; an answer the gateway cannot use is a 502.
 * Neither is the client's fault, and neither should read as the gateway's own 500.
 */
@Component
public class UpstreamFailures {

    private static final Logger log = LoggerFactory.getLogger(UpstreamFailures.class);

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
        log.error("{} gave an answer the gateway cannot use", service, error);
        return new ApiProblem(HttpStatus.BAD_GATEWAY, "Bad gateway",
                "A service behind the gateway gave an unexpected answer; it has been logged");
    }

    private static boolean isUnavailable(Throwable error) {
        if (error instanceof WebClientResponseException response) {
            return response.getStatusCode().is5xxServerError();
        }
        return error instanceof CallNotPermittedException || error instanceof WebClientRequestException
                || error instanceof TimeoutException || error instanceof IOException;
    }
}
