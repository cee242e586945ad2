package io.flux2.gateway.keys;

import io.flux2.common.problem.ApiProblem;
import org.springframework.http.HttpStatus;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Turns the {@code x-key} header into a {@link Caller}. Every failure answers the same 401, so a caller
 * cannot learn whether a prefix exists, was revoked or just had the wrong secret.
 */
@Component
public class ApiKeyAuthenticator {

    public static final String HEADER = "x-key";

    private final ApiKeyStore store;

    public ApiKeyAuthenticator(ApiKeyStore store) {
        this.store = store;
    }

    public Mono<Caller> authenticate(String presented) {
        if (presented == null || presented.isBlank()) {
            return Mono.error(unauthorized("Send your API key in the " + HEADER + " header"));
        }
        return Mono.justOrEmpty(ApiKeyFormat.parse(presented.strip()))
                .flatMap(parsed -> store.findActive(parsed.prefix())
                        .filter(stored -> ApiKeyFormat.sameHash(stored.keyHash(), parsed.hash())))
                .map(stored -> new Caller(stored.tenantId(), stored.id()))
                .switchIfEmpty(Mono.error(() -> unauthorized("The API key in the " + HEADER + " header is not valid")));
    }

    private static ApiProblem unauthorized(String detail) {
        return new ApiProblem(HttpStatus.UNAUTHORIZED, "Unauthorized", detail);
    }
}
