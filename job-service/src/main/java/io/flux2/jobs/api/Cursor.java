package io.flux2.jobs.api;

import io.flux2.common.problem.ApiProblem;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.UUID;

/** The opaque list cursor: base64url of {@code createdAt|id} of the last job of the page. */
record Cursor(Instant createdAt, UUID id) {

    String encode() {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((createdAt + "|" + id).getBytes(StandardCharsets.UTF_8));
    }

    static Cursor parse(String text) {
        try {
            String decoded = new String(Base64.getUrlDecoder().decode(text), StandardCharsets.UTF_8);
            int bar = decoded.indexOf('|');
            return new Cursor(Instant.parse(decoded.substring(0, bar)), UUID.fromString(decoded.substring(bar + 1)));
        } catch (RuntimeException e) {
            throw ApiProblem.invalidField("cursor", "cursor is not one this API handed out");
        }
    }
}
