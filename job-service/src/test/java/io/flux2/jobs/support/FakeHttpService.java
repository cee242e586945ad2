package io.flux2.jobs.support;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real HTTP server on loopback standing in for another service: it checks the internal token, can be
 * switched "down" (answering 503 like an unhealthy service behind a proxy), and otherwise answers per the
 * internal contract through {@link #handle}.
 */
public abstract class FakeHttpService {

    public static final String TOKEN = "test-internal-token";

    private final HttpServer server;
    private final AtomicBoolean down = new AtomicBoolean();
    private final AtomicInteger unavailableAnswers = new AtomicInteger();

    FakeHttpService() {
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, getClass().getSimpleName());
            thread.setDaemon(true);
            return thread;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                if (!TOKEN.equals(exchange.getRequestHeaders().getFirst("X-Internal-Token"))) {
                    send(exchange, 401, "application/problem+json", "{\"status\":401}");
                } else if (down.get()) {
                    exchange.getRequestBody().readAllBytes();
                    unavailableAnswers.incrementAndGet();
                    send(exchange, 503, "application/problem+json", "{\"status\":503}");
                } else {
                    handle(exchange);
                }
            } catch (RuntimeException e) {
                send(exchange, 500, "text/plain", e.toString());
            }
        });
        server.start();
    }

    protected abstract void handle(HttpExchange exchange) throws IOException;

    public String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** How many requests were answered 503 while down. */
    public int unavailableAnswers() {
        return unavailableAnswers.get();
    }

    public void setDown(boolean isDown) {
        down.set(isDown);
    }

    static void send(HttpExchange exchange, int status, String contentType, String body) throws IOException {
        send(exchange, status, contentType, body.getBytes(StandardCharsets.UTF_8));
    }

    static void send(HttpExchange exchange, int status, String contentType, byte[] body) throws IOException {
        if (contentType != null) {
            exchange.getResponseHeaders().set("Content-Type", contentType);
        }
        exchange.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        if (body.length > 0) {
            exchange.getResponseBody().write(body);
        }
    }
}
