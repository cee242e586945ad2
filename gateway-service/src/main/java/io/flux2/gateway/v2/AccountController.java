package io.flux2.gateway.v2;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyAuthenticator;
import io.flux2.gateway.keys.Caller;
import io.flux2.gateway.ratelimit.RateLimiter;
import io.flux2.gateway.submit.JobSubmitter;
import io.flux2.gateway.submit.SubmitProperties;
import io.flux2.gateway.submit.SubmitRequestValidator;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierCatalog;
import io.flux2.gateway.tiers.TierProperties.Setting;
import io.flux2.gateway.upstream.JobServiceClient;
import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.GetMapping;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/** {@code /v2/tiers}, {@code /v2/quote} and {@code /v2/usage}: what a caller may do, would pay and has paid. */
@RestController
class AccountController {

    private final ApiKeyAuthenticator authenticator;
    private final TierCatalog tiers;
    private final SubmitRequestValidator validator;
    private final JobSubmitter submitter;
    private final JobServiceClient jobs;
    private final RateLimiter rateLimiter;
    private final SubmitProperties rules;

    AccountController(ApiKeyAuthenticator authenticator, TierCatalog tiers, SubmitRequestValidator validator,
            JobSubmitter submitter, JobServiceClient jobs, RateLimiter rateLimiter, SubmitProperties rules) {
        this.authenticator = authenticator;
        this.tiers = tiers;
        this.validator = validator;
        this.submitter = submitter;
        this.jobs = jobs;
        this.rateLimiter = rateLimiter;
        this.rules = rules;
    }

    /** The tier table as limits a client can check a request against before sending it. */
    @GetMapping("/v2/tiers")
    Mono<Map<String, Object>> tiers(ServerHttpRequest request) {
        return authenticator.authenticate(request).map(caller -> Map.of("items",
                tiers.all().stream().map(tier -> tierView(tier, caller)).toList()));
    }

    private Map<String, Object> tierView(Tier tier, Caller caller) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("name", tier.name());
        view.put("route", "/v1/" + tier.route());
        view.put("model", tier.model());
        view.put("allowed", caller.tenant().allows(tier.name()));
        view.put("priority", tier.priority());
        view.put("steps", setting(tier.steps(), true));
        view.put("guidance", setting(tier.guidance(), false));
        view.put("max_references", tier.maxReferences());
        view.put("max_megapixels", tier.maxMegapixels());
        view.put("min_side", tier.minSide());
        view.put("max_side", tier.maxSide());
        view.put("size_multiple", rules.sizeMultiple());
        view.put("default_width", tier.defaultWidth() != null ? tier.defaultWidth() : rules.defaultWidth());
        view.put("default_height", tier.defaultHeight() != null ? tier.defaultHeight() : rules.defaultHeight());
        view.put("max_prompt_length", tier.maxPromptLength());
        view.put("output_formats", rules.outputFormats());
        view.put("default_output_format", rules.defaultOutputFormat());
        int maxTolerance = tier.maxSafetyTolerance() == null ? rules.maxSafetyTolerance()
                : Math.min(rules.maxSafetyTolerance(), tier.maxSafetyTolerance());
        view.put("safety_tolerance", Map.of("min", rules.minSafetyTolerance(), "max", maxTolerance,
                "default", Math.min(rules.defaultSafetyTolerance(), maxTolerance)));
        view.put("max_seed", rules.maxSeed());
        view.put("price", Map.of("currency", "credits", "first_megapixel", tier.price().firstMegapixel(),
                "extra_megapixel", tier.price().extraMegapixel(), "input_megapixel", tier.price().inputPrice()));
        var limit = rateLimiter.limitFor(caller, tier);
        view.put("rate_limit", Map.of("burst", limit.burst(), "per_minute", limit.perMinute()));
        view.put("active_job_limit", rateLimiter.activeJobLimitFor(caller, tier));
        return view;
    }

    private static Map<String, Object> setting(Setting setting, boolean integral) {
        Map<String, Object> view = new LinkedHashMap<>();
        view.put("adjustable", setting.adjustable());
        if (setting.adjustable()) {
            view.put("min", integral ? (Object) Math.round(setting.min()) : setting.min());
            view.put("max", integral ? (Object) Math.round(setting.max()) : setting.max());
        }
        view.put("default", integral ? (Object) Math.round(setting.defaultValue()) : setting.defaultValue());
        return view;
    }

    /**
     * What a {@code /v2/jobs} body would cost, without creating a job. Its references are stored (deduplicated
     * per tenant) to learn their sizes, and their asset ids come back for use in the real request.
     */
    @PostMapping("/v2/quote")
    Mono<Map<String, Object>> quote(@RequestBody(required = false) Mono<JsonNode> body, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> body
                .defaultIfEmpty(JsonNodeFactory.instance.objectNode())
                .flatMap(json -> {
                    Tier tier = tier(json);
                    return submitter.quote(caller, validator.validate(json, tier, SubmitRequestValidator.Dialect.V2));
                })
                .map(prepared -> {
                    Map<String, Object> view = new LinkedHashMap<>();
                    view.put("tier", prepared.valid().tier().name());
                    view.put("width", prepared.generation().width());
                    view.put("height", prepared.generation().height());
                    view.put("cost", prepared.quote().cost());
                    view.put("currency", "credits");
                    view.put("input_mp", prepared.quote().inputMp());
                    view.put("output_mp", prepared.quote().outputMp());
                    List<String> refs = prepared.generation().references();
                    view.put("references", refs == null ? List.of() : refs);
                    return view;
                }));
    }

    private Tier tier(JsonNode json) {
        List<String> names = tiers.all().stream().map(Tier::name).toList();
        JsonNode name = json.isObject() ? json.get("tier") : null;
        if (name == null || !name.isString()) {
            throw ApiProblem.outOfRange("tier", names, "tier is required: one of " + String.join(", ", names));
        }
        return tiers.byName(name.stringValue()).orElseThrow(() -> ApiProblem.outOfRange("tier", names,
                "Unknown tier " + name.stringValue() + "; tiers are " + String.join(", ", names)));
    }

    /**
     * The tenant's usage between {@code from} and {@code to} (instants or dates, UTC; default: this calendar
     * month), from job-service, with the monthly spend cap and what is left of it this month.
     */
    @GetMapping("/v2/usage")
    Mono<Map<String, Object>> usage(@RequestParam(required = false) String from,
            @RequestParam(required = false) String to, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> {
            Instant monthStart = YearMonth.now(ZoneOffset.UTC).atDay(1).atStartOfDay().toInstant(ZoneOffset.UTC);
            Instant nextMonth = YearMonth.now(ZoneOffset.UTC).plusMonths(1).atDay(1).atStartOfDay()
                    .toInstant(ZoneOffset.UTC);
            Instant start = from == null ? monthStart : instant("from", from);
            Instant end = to == null ? nextMonth : instant("to", to);
            if (!end.isAfter(start)) {
                return Mono.error(ApiProblem.invalidField("to", "to must be after from"));
            }
            Mono<JsonNode> month = caller.tenant().monthlySpendCap() == null ? Mono.just(JsonNodeFactory.instance.nullNode())
                    : start.equals(monthStart) && end.equals(nextMonth) ? Mono.empty()
                    : jobs.usage(caller.tenantId(), monthStart, nextMonth);
            return jobs.usage(caller.tenantId(), start, end).flatMap(usage -> month
                    .defaultIfEmpty(usage)
                    .map(thisMonth -> {
                        Map<String, Object> view = new LinkedHashMap<>();
                        view.put("from", start.toString());
                        view.put("to", end.toString());
                        view.put("jobs", usage.get("jobs"));
                        view.put("megapixels", usage.get("megapixels"));
                        view.put("credits", usage.get("credits"));
                        view.put("by_tier", usage.get("byTier"));
                        BigDecimal cap = caller.tenant().monthlySpendCap();
                        if (cap != null) {
                            double spent = thisMonth.get("credits") == null ? 0 : thisMonth.get("credits").asDouble();
                            view.put("monthly_spend_cap", cap);
                            view.put("month_credits", spent);
                            view.put("remaining", Math.max(0, cap.doubleValue() - spent));
                        }
                        view.values().removeIf(java.util.Objects::isNull);
                        return view;
                    }));
        });
    }

    private static Instant instant(String field, String value) {
        try {
            return value.length() == 10 ? LocalDate.parse(value).atStartOfDay().toInstant(ZoneOffset.UTC)
                    : Instant.parse(value);
        } catch (DateTimeParseException e) {
            throw ApiProblem.invalidField(field, field + " must be a date (2026-01-31) or an instant (2026-01-31T00:00:00Z)");
        }
    }
}
