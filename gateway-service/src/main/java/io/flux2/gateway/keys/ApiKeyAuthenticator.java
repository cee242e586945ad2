package io.flux2.gateway.keys;

import io.flux2.common.problem.ApiProblem;
import org.springframework.http.HttpHeaders;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Turns the {@code x-key} header (BFL's) or {@code Authorization: Bearer} (OpenAI's and most SDKs') into a
 * {@link Caller}. Every failure answers the same 401, so a caller cannot learn whether a prefix exists, was
 * revoked or just had the wrong secret. Key rows come from {@link ApiKeyStore}, which serves them from
 * {@link ApiKeyCache}; a revocation drops the key from every replica's cache as it commits, so it is refused at
 * once by every replica.
 */
@Component
public class ApiKeyAuthenticator {

    public static final String HEADER = "x-key";
    private static final String BEARER = "Bearer ";

    private final ApiKeyStore store;

    public ApiKeyAuthenticator(ApiKeyStore store) {
        this.store = store;
    }

    /** From {@code x-key}, else from {@code Authorization: Bearer <key>}. */
    public Mono<Caller> authenticate(ServerHttpRequest request) {
        String key = request.getHeaders().getFirst(HEADER);
        if (key == null) {
            key = bearer(request.getHeaders().getFirst(HttpHeaders.AUTHORIZATION));
        }
        return authenticate(key);
    }

    public Mono<Caller> authenticate(String presented) {
        if (presented == null || presented.isBlank()) {
            return Mono.error(unauthorized("Send your API key in the " + HEADER + " header"
                    + " or as Authorization: Bearer <key>"));
        }
        return Mono.justOrEmpty(ApiKeyFormat.parse(presented.strip()))
                .flatMap(parsed -> store.findActive(parsed.prefix())
                        .filter(stored -> ApiKeyFormat.sameHash(stored.keyHash(), parsed.hash())))
                .map(ApiKeyStore.StoredKey::toCaller)
                .switchIfEmpty(Mono.error(() -> unauthorized("The API key is not valid")));
    }

    /** The token of an {@code Authorization: Bearer} header, or null. */
    public static String bearer(String authorization) {
        if (authorization == null || authorization.length() <= BEARER.length()
                || !authorization.regionMatches(true, 0, BEARER, 0, BEARER.length())) {
            return null;
        }
        return authorization.substring(BEARER.length()).strip();
    }

    private static ApiProblem unauthorized(String detail) {
        return new ApiProblem(HttpStatus.UNAUTHORIZED, "Unauthorized", detail);
    }
}
