package io.flux2.common.problem;

import java.util.LinkedHashMap;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ProblemDetail;

/**
 * An error a client can act on, answered as an RFC 9457 problem response. Extension members such as the
 * offending {@code field} and the {@code limit} it broke travel with the problem.
 */
public class ApiProblem extends RuntimeException {

    private final HttpStatus status;
    private final String title;
    private final Map<String, Object> properties = new LinkedHashMap<>();
    private long retryAfterSeconds = -1;

    public ApiProblem(HttpStatus status, String title, String detail) {
        super(detail);
        this.status = status;
        this.title = title;
    }

    /** A request field that breaks a rule: 422, naming the field and the rule. */
    public static ApiProblem invalidField(String field, String detail) {
        return new ApiProblem(HttpStatus.UNPROCESSABLE_CONTENT, "Invalid request field", detail).with("field", field);
    }

    /** A request field over or under a configured limit: 422, naming the field and the limit. */
    public static ApiProblem outOfRange(String field, Object limit, String detail) {
        return invalidField(field, detail).with("limit", limit);
    }

    public static ApiProblem notFound(String what) {
        return new ApiProblem(HttpStatus.NOT_FOUND, "Not found", what + " was not found");
    }

    public static ApiProblem unavailable(String detail, long retryAfterSeconds) {
        ApiProblem problem = new ApiProblem(HttpStatus.SERVICE_UNAVAILABLE, "Service unavailable", detail);
        problem.retryAfterSeconds = retryAfterSeconds;
        return problem;
    }

    public ApiProblem with(String name, Object value) {
        properties.put(name, value);
        return this;
    }

    public HttpStatus status() {
        return status;
    }

    /** Seconds a client should wait before trying again, or -1 when the problem says nothing of it. */
    public long retryAfterSeconds() {
        return retryAfterSeconds;
    }

    public ProblemDetail toProblemDetail() {
        ProblemDetail detail = ProblemDetail.forStatusAndDetail(status, getMessage());
        detail.setTitle(title);
        properties.forEach(detail::setProperty);
        return detail;
    }
}
