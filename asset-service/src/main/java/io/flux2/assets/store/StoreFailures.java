package io.flux2.assets.store;

import io.minio.errors.ErrorResponseException;
import io.minio.errors.InsufficientDataException;
import io.minio.errors.InvalidResponseException;
import io.minio.errors.ServerException;
import java.io.IOException;
import java.util.Set;
import java.util.concurrent.TimeoutException;

/**
 * Tells a store that is unwell or unreachable (worth a retry, counted by the circuit breaker, 503 to the
 * caller) from an answer about the object itself, such as "no such key", which says nothing of the store's
 * health.
 */
public final class StoreFailures {

    private static final Set<String> MISSING_OBJECT = Set.of("NoSuchKey", "NoSuchObject");
    // The bucket vanishing means the store was reset or is still starting: the store's problem, not the object's.
    private static final Set<String> STORE_NOT_READY = Set.of("NoSuchBucket", "SlowDown", "ServiceUnavailable",
            "InternalError", "RequestTimeout");

    private StoreFailures() {
    }

    public static boolean isStoreFailure(Throwable error) {
        if (error instanceof ErrorResponseException response) {
            return STORE_NOT_READY.contains(response.errorResponse().code())
                    || (response.response() != null && response.response().code() >= 500);
        }
        return error instanceof IOException
                || error instanceof TimeoutException
                || error instanceof ServerException
                || error instanceof InvalidResponseException
                || error instanceof InsufficientDataException;
    }

    public static boolean isMissingObject(Throwable error) {
        return error instanceof ErrorResponseException response
                && MISSING_OBJECT.contains(response.errorResponse().code());
    }
}
