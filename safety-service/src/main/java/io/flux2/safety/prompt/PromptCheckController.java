package io.flux2.safety.prompt;

import io.flux2.common.problem.ApiProblem;
import io.flux2.safety.decisions.CheckKind;
import io.flux2.safety.decisions.CheckParameters;
import io.flux2.safety.decisions.Decision;
import io.flux2.safety.decisions.DecisionLog;
import io.flux2.safety.decisions.Sha256;
import io.flux2.safety.SafetyProperties;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

@RestController
public class PromptCheckController {

    private final PromptFilter filter;
    private final CheckParameters parameters;
    private final DecisionLog decisions;
    private final int maxBatch;

    public PromptCheckController(PromptFilter filter, CheckParameters parameters, DecisionLog decisions,
            SafetyProperties properties) {
        this.filter = filter;
        this.parameters = parameters;
        this.decisions = decisions;
        this.maxBatch = properties.maxPromptBatch();
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

    /** Several prompts in one call: the same checks, recorded in one statement, answered in order. */
    @PostMapping("/internal/checks/prompts")
    public Mono<PromptBatchResponse> checkAll(@RequestBody PromptBatchRequest request) {
        List<PromptCheckRequest> checks = request.checks() == null ? List.of() : request.checks();
        if (checks.size() > maxBatch) {
            throw ApiProblem.invalidField("checks", "At most " + maxBatch + " checks per request");
        }
        List<DecisionLog.Pending> pending = new ArrayList<>(checks.size());
        for (int i = 0; i < checks.size(); i++) {
            PromptCheckRequest check = checks.get(i);
            if (check == null || check.prompt() == null) {
                throw ApiProblem.invalidField("checks[" + i + "].prompt", "prompt is required");
            }
            CheckParameters.Tolerance tolerance = parameters.tolerance(check.tolerance(), check.tier());
            pending.add(new DecisionLog.Pending(parameters.subject(check.subject()), CheckKind.PROMPT,
                    Sha256.hex(check.prompt().getBytes(StandardCharsets.UTF_8)), tolerance,
                    filter.check(check.prompt(), tolerance.effective())));
        }
        return decisions.recordAll(pending).map(PromptBatchResponse::new);
    }
}
