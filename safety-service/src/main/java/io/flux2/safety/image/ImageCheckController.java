package io.flux2.safety.image;

import io.flux2.common.problem.ApiProblem;
import io.flux2.safety.SafetyProperties;
import io.flux2.safety.decisions.CheckKind;
import io.flux2.safety.decisions.CheckParameters;
import io.flux2.safety.decisions.Decision;
import io.flux2.safety.decisions.DecisionLog;
import io.flux2.safety.decisions.Sha256;
import io.flux2.safety.decisions.Verdict;
import java.util.List;
import org.springframework.core.annotation.AnnotationAwareOrderComparator;
import org.springframework.core.io.buffer.DataBufferLimitException;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestParam;
import org.springframework.web.bind.annotation.RestController;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

@RestController
public class ImageCheckController {

    private final List<ImageCheck> checks;
    private final CheckParameters parameters;
    private final DecisionLog decisions;
    private final long maxBytes;

    public ImageCheckController(List<ImageCheck> checks, CheckParameters parameters, DecisionLog decisions,
            SafetyProperties properties) {
        this.checks = checks.stream().sorted(AnnotationAwareOrderComparator.INSTANCE).toList();
        this.parameters = parameters;
        this.decisions = decisions;
        this.maxBytes = properties.image().maxBytes();
    }

    /**
     * @param purpose {@code reference} (an input image) or {@code output} (a generated one); recorded
     * @param tier    the caller's tier, whose cap applies to the tolerance
     * @param sourceSha256 for a reference stored re-encoded, the sha256 of each file it was made from
     */
    @PostMapping("/internal/checks/image")
    public Mono<Decision> check(@RequestParam(required = false) String subject,
            @RequestParam(required = false) Integer tolerance, @RequestParam(required = false) String tier,
            @RequestParam(required = false) String purpose,
            @RequestParam(required = false) List<String> sourceSha256, ServerHttpRequest request) {
        String checkedSubject = parameters.subject(subject);
        CheckParameters.Tolerance checkedTolerance = parameters.tolerance(tolerance, tier);
        CheckKind kind = CheckKind.imagePurpose(purpose);
        if (request.getHeaders().getContentLength() > maxBytes) {
            throw tooLarge();
        }
        return readBody(request).flatMap(bytes -> {
            ImageFormat format = ImageFormat.sniff(bytes).orElseThrow(() -> ApiProblem.invalidField("body",
                    "The body is not a PNG, JPEG or WebP image"));
            String sha = Sha256.hex(bytes);
            // Classifiers are CPU-bound: off the event loop.
            List<String> sources = sourceSha256 == null ? List.of() : List.copyOf(sourceSha256);
            return Mono.fromCallable(() -> judge(new ImageCheck.CheckedImage(bytes, format, sha, sources),
                            checkedTolerance.effective()))
                    .subscribeOn(Schedulers.boundedElastic())
                    .flatMap(verdict -> decisions.record(checkedSubject, kind, sha, checkedTolerance, verdict));
        });
    }

    /** Checks in order; the first that flags decides (a known-blocked image is not decoded at all). */
    private Verdict judge(ImageCheck.CheckedImage image, int tolerance) {
        java.util.Map<String, Double> scores = new java.util.TreeMap<>();
        for (ImageCheck check : checks) {
            Verdict verdict = check.check(image, tolerance);
            scores.putAll(verdict.scores());
            if (verdict.flagged()) {
                return new Verdict(true, verdict.reasons(), scores);
            }
        }
        return new Verdict(false, List.of(), scores);
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
