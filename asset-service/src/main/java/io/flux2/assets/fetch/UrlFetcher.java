package io.flux2.assets.fetch;

import io.flux2.assets.AssetProperties;
import io.flux2.common.net.SsrfGuard;
import io.flux2.common.problem.ApiProblem;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.Call;
import okhttp3.Connection;
import okhttp3.Dns;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.ResponseBody;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * Fetches a reference image from a caller's URL without becoming a proxy into the cluster. Every hop
 * (the URL and each redirect) goes through {@link SsrfGuard} before any connection is made; the client's
 * DNS is the guard, so the connection goes only to the addresses it checked; redirects are followed by
 * hand, at most {@code maxRedirects}; no proxy; the whole fetch has a deadline and the body a size limit.
 */
public class UrlFetcher {

    private static final Logger log = LoggerFactory.getLogger(UrlFetcher.class);
    private static final String FIELD = "source";

    private final SsrfGuard guard;
    private final OkHttpClient http;
    private final int maxRedirects;
    private final long maxBytes;
    private final Duration timeout;

    public UrlFetcher(SsrfGuard guard, AssetProperties.Fetch settings, long defaultMaxBytes) {
        this.guard = guard;
        this.maxRedirects = settings.maxRedirects();
        this.maxBytes = settings.maxBytes() == null ? defaultMaxBytes : settings.maxBytes();
        this.timeout = settings.timeout();
        Dns pinned = hostname -> {
            try {
                return guard.resolve(hostname);
            } catch (SsrfGuard.Refused e) {
                throw new RefusedIo(e.getMessage());
            }
        };
        this.http = new OkHttpClient.Builder()
                .proxy(Proxy.NO_PROXY)
                .dns(pinned)
                .followRedirects(false)
                .followSslRedirects(false)
                .retryOnConnectionFailure(false)
                .callTimeout(timeout)
                .connectTimeout(timeout)
                .readTimeout(timeout)
                // Runs once the socket is connected and before the request is written: the address actually
                // connected to is checked too.
                .addNetworkInterceptor(chain -> {
                    Connection connection = chain.connection();
                    if (connection != null) {
                        Socket socket = connection.socket();
                        InetAddress remote = socket.getInetAddress();
                        try {
                            guard.checkConnected(chain.request().url().host(), remote);
                        } catch (SsrfGuard.Refused e) {
                            throw new RefusedIo(e.getMessage());
                        }
                    }
                    return chain.proceed(chain.request());
                })
                .build();
    }

    /** The body of the URL, after at most {@code maxRedirects} checked redirects. */
    public Mono<byte[]> fetch(String url) {
        return Mono.fromCallable(() -> fetchBlocking(url))
                .subscribeOn(Schedulers.boundedElastic())
                .timeout(timeout.plusSeconds(1), Mono.error(() -> refused("the URL did not answer in time")));
    }

    byte[] fetchBlocking(String url) {
        URI current = parse(url);
        long deadline = System.nanoTime() + timeout.toNanos();
        for (int hop = 0; hop <= maxRedirects; hop++) {
            try {
                String host = guard.checkUrl(current);
                // Checked here as well as in the client's DNS: literal addresses never reach a DNS hook.
                guard.resolve(host);
            } catch (SsrfGuard.Refused e) {
                throw refused(hop == 0 ? e.getMessage() : "a redirect was refused: " + e.getMessage());
            }
            Request request = new Request.Builder().url(current.toString()).get()
                    .header("Accept", "image/png, image/jpeg, image/webp")
                    .header("User-Agent", "flux2-asset-service")
                    .build();
            Call call = http.newCall(request);
            long left = deadline - System.nanoTime();
            if (left <= 0) {
                throw refused("the URL did not answer in time");
            }
            call.timeout().timeout(left, TimeUnit.NANOSECONDS);
            try (Response response = call.execute()) {
                if (response.isRedirect()) {
                    String location = response.header("Location");
                    if (location == null) {
                        throw refused("a redirect had no Location");
                    }
                    current = current.resolve(parse(location));
                    continue;
                }
                if (!response.isSuccessful()) {
                    throw refused("the URL answered HTTP " + response.code());
                }
                return readBounded(response.body());
            } catch (RefusedIo e) {
                throw refused(hop == 0 ? e.getMessage() : "a redirect was refused: " + e.getMessage());
            } catch (InterruptedIOException e) {
                throw refused("the URL did not answer in time");
            } catch (IOException e) {
                log.debug("Fetching {} failed", current, e);
                throw refused("the URL could not be fetched: " + e.getClass().getSimpleName());
            }
        }
        throw refused("more than " + maxRedirects + " redirects");
    }

    private byte[] readBounded(ResponseBody body) throws IOException {
        long declared = body.contentLength();
        if (declared > maxBytes) {
            throw tooLarge();
        }
        try (InputStream in = body.byteStream()) {
            byte[] bytes = in.readNBytes((int) Math.min(maxBytes + 1, Integer.MAX_VALUE - 8));
            if (bytes.length > maxBytes) {
                throw tooLarge();
            }
            if (bytes.length == 0) {
                throw refused("the URL answered an empty body");
            }
            return bytes;
        }
    }

    private ApiProblem tooLarge() {
        return new ApiProblem(HttpStatus.CONTENT_TOO_LARGE, "Image too large",
                "The fetched image must be at most " + maxBytes + " bytes").with("field", FIELD).with("limit", maxBytes);
    }

    private static URI parse(String url) {
        try {
            return new URI(url.strip());
        } catch (URISyntaxException e) {
            throw refused("the URL is malformed");
        }
    }

    static ApiProblem refused(String reason) {
        return ApiProblem.invalidField(FIELD, "The URL cannot be fetched: " + reason);
    }

    /** A refusal thrown from inside OkHttp, which only lets IOExceptions through. */
    static final class RefusedIo extends java.net.UnknownHostException {
        RefusedIo(String message) {
            super(message);
        }
    }

    /** For tests: the address list the client would connect to. */
    List<InetAddress> pinnedAddresses(String host) {
        return guard.resolve(host);
    }
}
