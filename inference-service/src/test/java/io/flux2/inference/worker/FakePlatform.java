package io.flux2.inference.worker;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * job-service and asset-service as far as a worker sees them (docs/internal-api.md), on one JDK HTTP server:
 * hands out queued leases, answers 204 when there are none, and records everything the worker sends.
 */
final class FakePlatform implements AutoCloseable {

    static final String TOKEN = "test-internal-token";
    private static final JsonMapper JSON = JsonMapper.builder().build();

    record Call(String method, String path, String query, String contentType, String token, byte[] body) {
        JsonNode json() {
            return JSON.readTree(body);
        }
    }

    private final HttpServer server;
    final Queue<String> leases = new ConcurrentLinkedQueue<>();
    final List<Call> calls = new CopyOnWriteArrayList<>();
    /** Stored assets served by GET /internal/assets/{id}/content; any other id is 404. */
    final Map<String, byte[]> contents = new java.util.concurrent.ConcurrentHashMap<>();

    FakePlatform() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(Executors.newCachedThreadPool());
        server.createContext("/internal/leases", this::leases);
        server.createContext("/internal/assets", this::assets);
        server.start();
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    /** The uploads (POST /internal/assets) of one job. */
    List<Call> uploads(String jobId) {
        return calls.stream().filter(c -> c.method().equals("POST") && c.path().equals("/internal/assets")
                && c.query() != null && c.query().contains("jobId=" + jobId)).toList();
    }

    List<Call> calls(String pathSuffix) {
        return calls.stream().filter(c -> c.path().endsWith(pathSuffix)).toList();
    }

    private Call record(HttpExchange exchange) throws IOException {
        Call call = new Call(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                exchange.getRequestURI().getRawQuery(), exchange.getRequestHeaders().getFirst("Content-Type"),
                exchange.getRequestHeaders().getFirst("X-Internal-Token"), exchange.getRequestBody().readAllBytes());
        calls.add(call);
        return call;
    }

    private void leases(HttpExchange exchange) throws IOException {
        Call call = record(exchange);
        String path = call.path();
        if (path.equals("/internal/leases")) {
            String lease = leases.poll();
            if (lease == null) {
                long wait = Math.min(200, call.json().path("waitMillis").asLong(0));
                sleep(wait);
                exchange.sendResponseHeaders(204, -1);
                exchange.close();
            } else {
                respond(exchange, 200, lease);
            }
        } else if (path.endsWith("/heartbeat") && path.contains("gone")) {
            respond(exchange, 410, "{\"title\":\"Gone\",\"status\":410}");
        } else if (path.endsWith("/heartbeat")) {
            // A lease whose id mentions "cancel" is cancelled by the user from its second step on, one that
            // mentions "late" with its last step.
            int step = call.json().path("step").asInt();
            boolean cancel = path.contains("cancel") && step >= 2
                    || path.contains("late") && step >= call.json().path("totalSteps").asInt();
            respond(exchange, 200, "{\"cancelRequested\":" + cancel + ",\"expiresAt\":\"2030-01-01T00:00:00Z\"}");
        } else if (path.endsWith("/complete") && path.contains("lost")) {
            // Lost between the last heartbeat and the completion (expired and requeued meanwhile).
            respond(exchange, 410, "{\"title\":\"Gone\",\"status\":410}");
        } else if (path.endsWith("/complete") || path.endsWith("/fail") || path.endsWith("/cancelled")) {
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        } else {
            respond(exchange, 404, "{}");
        }
    }

    private void assets(HttpExchange exchange) throws IOException {
        Call call = record(exchange);
        if (call.method().equals("GET") && call.path().endsWith("/content")) {
            String id = call.path().substring("/internal/assets/".length(), call.path().length() - "/content".length());
            byte[] bytes = contents.get(id);
            if (bytes == null) {
                respond(exchange, 404, "{\"title\":\"Not Found\",\"status\":404}");
            } else {
                exchange.getResponseHeaders().set("Content-Type", "image/png");
                exchange.sendResponseHeaders(200, bytes.length);
                exchange.getResponseBody().write(bytes);
                exchange.close();
            }
            return;
        }
        if (call.method().equals("DELETE")) {
            exchange.sendResponseHeaders(204, -1);
            exchange.close();
            return;
        }
        respond(exchange, 201, JSON.writeValueAsString(Map.of("id", "asset-" + calls("/internal/assets").size(),
                "contentType", call.contentType(), "size", call.body().length)));
    }

    private static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
        exchange.close();
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
