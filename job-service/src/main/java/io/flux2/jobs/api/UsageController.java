package io.flux2.jobs.api;

import io.flux2.common.problem.ApiProblem;
import io.flux2.jobs.usage.Usage;
import io.flux2.jobs.usage.UsageReport;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

/** {@code GET /internal/usage?tenantId=&from=&to=}: jobs created in [from, to), ISO-8601 instants, both optional. */
@RestController
public class UsageController {

    private final Usage usage;

    public UsageController(Usage usage) {
        this.usage = usage;
    }

    @GetMapping("/internal/usage")
    public Mono<UsageReport> usage(@RequestParam String tenantId, @RequestParam(required = false) String from,
            @RequestParam(required = false) String to) {
        return usage.report(tenantId, instant("from", from), instant("to", to));
    }

    private static Instant instant(String field, String text) {
        if (text == null || text.isBlank()) {
            return null;
        }
        try {
            return Instant.parse(text);
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidField(field, field + " must be an ISO-8601 instant, e.g. 2026-01-01T00:00:00Z");
        }
    }
}
