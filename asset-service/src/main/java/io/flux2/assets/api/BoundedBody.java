package io.flux2.assets.api;

import io.flux2.common.problem.ApiProblem;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DataBufferLimitException;
import reactor.core.publisher.Flux;
import org.springframework.core.io.buffer.DataBufferUtils;
import org.springframework.http.HttpStatus;
import org.springframework.http.server.reactive.ServerHttpRequest;
import reactor.core.publisher.Mono;

/**
 * Reads a request body up to a limit. The declared length is checked first to refuse early, and the
 * limit applies again while reading, since a chunked body declares nothing.
 */
final class BoundedBody {

    private BoundedBody() {
    }

    static Mono<byte[]> read(ServerHttpRequest request, long maxBytes) {
        if (request.getHeaders().getContentLength() > maxBytes) {
            return Mono.error(tooLarge(maxBytes));
        }
        return read(request.getBody(), maxBytes, "body");
    }

    static Mono<byte[]> read(Flux<DataBuffer> body, long maxBytes, String field) {
        return DataBufferUtils.join(body, (int) Math.min(maxBytes, Integer.MAX_VALUE))
                .map(buffer -> {
                    try {
                        byte[] bytes = new byte[buffer.readableByteCount()];
                        buffer.read(bytes);
                        return bytes;
                    } finally {
                        DataBufferUtils.release(buffer);
                    }
                })
                .onErrorMap(DataBufferLimitException.class, e -> tooLarge(maxBytes, field))
                .filter(bytes -> bytes.length > 0)
                .switchIfEmpty(Mono.error(() -> ApiProblem.invalidField(field, "The " + field + " is empty")));
    }

    static ApiProblem tooLarge(long maxBytes) {
        return tooLarge(maxBytes, "body");
    }

    static ApiProblem tooLarge(long maxBytes, String field) {
        return new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "Body too large",
                "The " + field + " must be at most " + maxBytes + " bytes").with("field", field).with("limit", maxBytes);
    }
}
