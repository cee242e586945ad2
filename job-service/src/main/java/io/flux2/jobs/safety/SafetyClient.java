package io.flux2.jobs.safety;

import io.flux2.common.client.ServiceClient;
import io.flux2.common.client.ServiceClients;
import io.flux2.jobs.assets.AssetContent;
import java.util.List;
import org.springframework.http.MediaType;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Calls safety-service. A check is a pure question (its stored decision is keyed by the input's hash), so
 * repeating it is harmless and it goes through the retrying path.
 */
@Component
public class SafetyClient {

    private final ServiceClient safety;

    public SafetyClient(ServiceClients clients) {
        this.safety = clients.forService("safety-service");
    }

    /** What an image check is about: safety-service records it with the decision. */
    public enum ImagePurpose {
        REFERENCE, OUTPUT
    }

    public Mono<Decision> checkPrompt(String subject, String prompt, int tolerance, String tier) {
        return safety.idempotent(web -> web.post()
                .uri("/internal/checks/prompt")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(new PromptCheck(subject, prompt, tolerance, tier))
                .retrieve()
                .bodyToMono(Decision.class));
    }

    /** Several prompts in one call; the decisions come back in the order of the checks. */
    public Mono<List<Decision>> checkPrompts(List<PromptCheck> checks) {
        return safety.idempotent(web -> web.post()
                .uri("/internal/checks/prompts")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(new PromptBatch(checks))
                .retrieve()
                .bodyToMono(PromptDecisions.class))
                .map(answer -> {
                    List<Decision> decisions = answer.decisions() == null ? List.of() : answer.decisions();
                    if (decisions.size() != checks.size()) {
                        throw new IllegalStateException("safety-service answered " + decisions.size()
                                + " decisions to " + checks.size() + " prompt checks");
                    }
                    return decisions;
                });
    }

    public Mono<Decision> checkImage(String subject, int tolerance, String tier, ImagePurpose purpose,
            AssetContent image) {
        MediaType type = image.contentType() == null
                ? MediaType.APPLICATION_OCTET_STREAM : MediaType.parseMediaType(image.contentType());
        return safety.idempotent(web -> web.post()
                .uri(uri -> uri.path("/internal/checks/image")
                        .queryParam("subject", subject)
                        .queryParam("tolerance", tolerance)
                        .queryParam("tier", tier)
                        .queryParam("purpose", purpose.name().toLowerCase(java.util.Locale.ROOT))
                        // The files a reference was made from, for the hash blocklist.
                        .queryParam("sourceSha256", image.sourceSha256().toArray())
                        .build())
                .contentType(type)
                .bodyValue(image.bytes())
                .retrieve()
                .bodyToMono(Decision.class));
    }

    record PromptCheck(String subject, String prompt, int tolerance, String tier) {
    }

    private record PromptBatch(List<PromptCheck> checks) {
    }

    private record PromptDecisions(List<Decision> decisions) {
    }
}
