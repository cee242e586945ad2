package io.flux2.safety.prompt;

import io.flux2.common.problem.ApiProblem;
import io.flux2.safety.decisions.CheckKind;
import io.flux2.safety.decisions.CheckParameters;
import io.flux2.safety.decisions.Decision;
import io.flux2.safety.decisions.DecisionLog;
import io.flux2.safety.decisions.Sha256;
import java.nio.charset.StandardCharsets;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

@RestController
public class PromptCheckController {

    private final PromptFilter filter;
    private final CheckParameters parameters;
    private final DecisionLog decisions;

    public PromptCheckController(PromptFilter filter, CheckParameters parameters, DecisionLog decisions) {
        this.filter = filter;
        this.parameters = parameters;
        this.decisions = decisions;
    }

    @PostMapping("/internal/checks/prompt")
    public Mono<Decision> check(@RequestBody PromptCheckRequest request) {
        String subject = parameters.subject(request.subject());
        CheckParameters.Tolerance tolerance = parameters.tolerance(request.tolerance(), request.tier());
        if (request.prompt() == null) {
            throw ApiProblem.invalidField("prompt", "prompt is required");
        }
        String sha = Sha256.hex(request.prompt().getBytes(StandardCharsets.UTF_8));
        return decisions.record(subject, CheckKind.PROMPT, sha, tolerance, filter.check(request.prompt(), tolerance.effective()));
    }
}
