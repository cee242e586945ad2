package io.flux2.safety.image;

import io.flux2.common.problem.ApiProblem;
import io.flux2.safety.SafetyProperties;
import io.flux2.safety.decisions.CheckKind;
import io.flux2.safety.decisions.CheckParameters;
import io.flux2.safety.decisions.Decision;
import io.flux2.safety.decisions.DecisionLog;
import io.flux2.safety.decisions.Sha256;
import io.flux2.safety.decisions.Verdict;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;

@RestController
public class ImageCheckController {

    private final List<ImageCheck> checks;
    private final CheckParameters parameters;
    private final DecisionLog decisions;
    private final long maxBytes;

    public ImageCheckController(List<ImageCheck> checks, CheckParameters parameters, DecisionLog decisions,
            SafetyProperties properties) {
        this.checks = checks;
        this.parameters = parameters;
        this.decisions = decisions;
        this.maxBytes = properties.image().maxBytes();
    }

    @PostMapping("/internal/checks/image")
    public Mono<Decision> check(@RequestParam(required = false) String subject,
            @RequestParam(required = false) Integer tolerance, ServerHttpRequest request) {
        String checkedSubject = parameters.subject(subject);
        int checkedTolerance = parameters.tolerance(tolerance);
        if (request.getHeaders().getContentLength() > maxBytes) {
            throw tooLarge();
        }
        return readBody(request).flatMap(bytes -> {
            ImageFormat format = ImageFormat.sniff(bytes).orElseThrow(() -> ApiProblem.invalidField("body",
                    "The body is not a PNG, JPEG or WebP image"));
            String sha = Sha256.hex(bytes);
            Verdict verdict = judge(new ImageCheck.CheckedImage(bytes, format, sha), checkedTolerance);
            return decisions.record(checkedSubject, CheckKind.IMAGE, sha, checkedTolerance, verdict);
        });
    }

    private Verdict judge(ImageCheck.CheckedImage image, int tolerance) {
        Set<String> reasons = new LinkedHashSet<>();
        for (ImageCheck check : checks) {
            Verdict verdict = check.check(image, tolerance);
            if (verdict.flagged()) {
                reasons.addAll(verdict.reasons());
            }
        }
        return reasons.isEmpty() ? Verdict.pass() : Verdict.flag(List.copyOf(reasons));
    }

    private Mono<byte[]> readBody(ServerHttpRequest request) {
        // The limit applies while reading, so a body without Content-Length cannot exhaust memory either.
        return DataBufferUtils.join(request.getBody(), (int) Math.min(maxBytes, Integer.MAX_VALUE))
                .map(buffer -> {
                    byte[] bytes = new byte[buffer.readableByteCount()];
                    buffer.read(bytes);
                    DataBufferUtils.release(buffer);
                    return bytes;
                })
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge())
                .switchIfEmpty(Mono.error(() -> ApiProblem.invalidField("body", "The body is empty")));
    }

    private ApiProblem tooLarge() {
        return new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "Image too large",
                "The image must be at most " + maxBytes + " bytes").with("field", "body").with("limit", maxBytes);
    }
}
