package io.flux2.jobs.support;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;

/**
 * A customer's webhook endpoint on 127.0.0.1: records every request (headers and raw body) and answers
 * with the next scripted status (then 200 once the script is used up). Unlike {@link FakeHttpService} it
 * expects no internal token: the platform calls it as it would call anyone.
 */
public final class WebhookReceiver implements AutoCloseable {

    /** One request as received. */
    public record Received(Map<String, String> headers, byte[] body) {
    }

    private final HttpServer server;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Deque<Integer> script = new ArrayDeque<>();

    public WebhookReceiver(Integer... statuses) {
        script.addAll(List.of(statuses));
        try {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        server.setExecutor(Executors.newCachedThreadPool(runnable -> {
            Thread thread = new Thread(runnable, "webhook-receiver");
            thread.setDaemon(true);
            return thread;
        }));
        server.createContext("/", exchange -> {
            try (exchange) {
                byte[] body = exchange.getRequestBody().readAllBytes();
                Map<String, String> headers = new java.util.TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                exchange.getRequestHeaders().forEach((name, values) -> headers.put(name, values.get(0)));
                received.add(new Received(headers, body));
                int status;
                synchronized (script) {
                    status = script.isEmpty() ? 200 : script.poll();
                }
                exchange.sendResponseHeaders(status, -1);
            }
        });
        server.start();
    }

    public String url() {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/hooks/flux";
    }

    public int port() {
        return server.getAddress().getPort();
    }

    public List<Received> received() {
        return received;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
