package io.flux2.gateway.submit;

import io.flux2.common.problem.ApiProblem;
import io.flux2.gateway.keys.ApiKeyAuthenticator;
import io.flux2.gateway.keys.Caller;
import io.flux2.gateway.tiers.Tier;
import io.flux2.gateway.tiers.TierCatalog;
import io.flux2.gateway.upstream.JobServiceClient;
import io.flux2.gateway.upstream.NewJob;
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
 * unauthenticated caller learns nothing about the tier table.
 */
@RestController
class SubmitController {

    private final ApiKeyAuthenticator authenticator;
    private final TierCatalog tiers;
    private final SubmitRequestValidator validator;
    private final JobServiceClient jobs;
    private final PollingUrls pollingUrls;

    SubmitController(ApiKeyAuthenticator authenticator, TierCatalog tiers, SubmitRequestValidator validator,
            JobServiceClient jobs, PollingUrls pollingUrls) {
        this.authenticator = authenticator;
        this.tiers = tiers;
        this.validator = validator;
        this.jobs = jobs;
        this.pollingUrls = pollingUrls;
    }

    @PostMapping("/v1/{route}")
    Mono<SubmitResponse> submit(@PathVariable String route,
            @RequestHeader(name = ApiKeyAuthenticator.HEADER, required = false) String key,
            @RequestBody(required = false) Mono<JsonNode> body, ServerHttpRequest request) {
        return authenticator.authenticate(key).flatMap(caller -> {
            Tier tier = tiers.byRoute(route).orElseThrow(() -> ApiProblem.notFound("The route /v1/" + route));
            return body.defaultIfEmpty(JsonNodeFactory.instance.objectNode())
                    .map(json -> validator.validate(json, tier))
                    .flatMap(valid -> submit(caller, valid, request));
        });
    }

    private Mono<SubmitResponse> submit(Caller caller, ValidatedRequest valid, ServerHttpRequest request) {
        Tier tier = valid.tier();
        NewJob job = new NewJob(caller.tenantId(), tier.name(), tier.model(), tier.priority(), valid.generation());
        Pricing.Quote quote = Pricing.quote(tier, valid.generation().width(), valid.generation().height());
        return jobs.create(job).map(created -> new SubmitResponse(created.id(),
                pollingUrls.forJob(created.id(), request), quote.cost(), quote.inputMp(), quote.outputMp()));
    }
}
