package io.flux2.gateway.submit;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyAuthenticator;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierCatalog;
import org.springframework.http.ResponseEntity;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PathVariable;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RequestHeader;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;

/**
 * {@code POST /v1/<tier route>}: BFL's submit. The key is checked before the route and the body, so an
 * unauthenticated caller learns nothing about the tier table. An {@code Idempotency-Key} works here as on
 * {@code /v2/jobs}, though BFL has none.
 */
@RestController
class SubmitController {

    private final ApiKeyAuthenticator authenticator;
    private final TierCatalog tiers;
    private final SubmitRequestValidator validator;
    private final JobSubmitter submitter;
    private final PollingUrls pollingUrls;

    SubmitController(ApiKeyAuthenticator authenticator, TierCatalog tiers, SubmitRequestValidator validator,
            JobSubmitter submitter, PollingUrls pollingUrls) {
        this.authenticator = authenticator;
        this.tiers = tiers;
        this.validator = validator;
        this.submitter = submitter;
        this.pollingUrls = pollingUrls;
    }

    @PostMapping("/v1/{route}")
    Mono<ResponseEntity<SubmitResponse>> submit(@PathVariable String route,
            @RequestHeader(name = RequestHash.HEADER, required = false) String idempotencyKey,
            @RequestBody(required = false) Mono<JsonNode> body, ServerHttpRequest request) {
        return authenticator.authenticate(request).flatMap(caller -> {
            Tier tier = tiers.byRoute(route).orElseThrow(() -> ApiProblem.notFound("The route /v1/" + route));
            return body.defaultIfEmpty(JsonNodeFactory.instance.objectNode())
                    .flatMap(json -> {
                        ValidatedRequest valid = validator.validate(json, tier, SubmitRequestValidator.Dialect.BFL);
                        var idempotency = validator.idempotency(idempotencyKey, "/v1/" + route, json);
                        return submitter.submit(caller, valid, idempotency)
                                .onErrorMap(ApiProblem.class, SubmitController::bflFieldNames);
                    })
                    .map(submitted -> {
                        var job = submitted.created().job();
                        var quote = submitted.quote();
                        var response = ResponseEntity.ok();
                        if (submitted.created().replayed()) {
                            response.header(REPLAYED, "true");
                        }
                        return response.body(new SubmitResponse(job.id(), pollingUrls.forJob(job.id(), request),
                                quote.cost(), quote.inputMp(), quote.outputMp()));
                    });
        });
    }

    /** job-service names the webhook fields as /v2 does ({@code webhook.url}); BFL clients sent {@code webhook_url}. */
    private static ApiProblem bflFieldNames(ApiProblem problem) {
        var detail = problem.toProblemDetail();
        Object field = detail.getProperties() == null ? null : detail.getProperties().get("field");
        if (!"webhook.url".equals(field) && !"webhook.secret".equals(field)) {
            return problem;
        }
        ApiProblem renamed = new ApiProblem(problem.status(), detail.getTitle(), problem.getMessage());
        detail.getProperties().forEach(renamed::with);
        return renamed.with("field", field.toString().replace('.', '_'));
    }

    private static final String REPLAYED = io.flux2.gateway.upstream.JobServiceClient.REPLAYED_HEADER;
}
