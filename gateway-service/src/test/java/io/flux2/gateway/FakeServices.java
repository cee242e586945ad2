package io.flux2.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * job-service and asset-service as docs/internal-api.md describes them, on a real HTTP server on loopback,
 * remembering every request it received.
 */
final class FakeServices implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();

    record Received(String method, String path, Map<String, String> query, String internalToken, JsonNode body) {
    }

    private final HttpServer server;
    final List<Received> received = new CopyOnWriteArrayList<>();
    final Map<String, ObjectNode> jobs = new ConcurrentHashMap<>();
    final Set<String> missingAssets = ConcurrentHashMap.newKeySet();
    /** How many of the next job creations answer 500. */
    final AtomicInteger failingCreates = new AtomicInteger();

    private FakeServices(HttpServer server) {
        this.server = server;
    }

    static FakeServices start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            FakeServices fake = new FakeServices(server);
            server.createContext("/", fake::handle);
            server.start();
            return fake;
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    String baseUrl() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    List<Received> received(String method, String pathPrefix) {
        return received.stream().filter(r -> r.method().equals(method) && r.path().startsWith(pathPrefix)).toList();
    }

    /** Stores a job as job-service would answer it, and returns it for further fields. */
    ObjectNode job(String tenantId, String status) {
        String id = UUID.randomUUID().toString();
        ObjectNode job = JSON.createObjectNode();
        job.put("id", id).put("tenantId", tenantId).put("tier", "flex").put("model", "tiny").put("status", status)
                .put("progress", 0.0).put("attempts", 0)
                .put("createdAt", "2026-01-02T03:04:05Z").put("updatedAt", "2026-01-02T03:04:07.5Z");
        job.putObject("request").put("prompt", "a red fox").put("width", 128).put("height", 128).put("seed", 7)
                .put("steps", 50).put("guidance", 5.0).put("outputFormat", "png").put("safetyTolerance", 2);
        job.putNull("result");
        job.putNull("details");
        jobs.put(id, job);
        return job;
    }

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String method = exchange.getRequestMethod();
            String path = exchange.getRequestURI().getPath();
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            byte[] raw = exchange.getRequestBody().readAllBytes();
            JsonNode body = raw.length == 0 ? null : JSON.readTree(raw);
            received.add(new Received(method, path, query, exchange.getRequestHeaders().getFirst("X-Internal-Token"),
                    body));
            if (method.equals("POST") && path.equals("/internal/jobs")) {
                createJob(exchange, (ObjectNode) body);
            } else if (method.equals("GET") && path.matches("/internal/assets/[^/]+/url")) {
                String assetId = path.split("/")[3];
                if (missingAssets.contains(assetId)) {
                    problem(exchange, 404);
                } else {
                    ObjectNode url = JSON.createObjectNode();
                    url.put("url", "http://assets.test/outputs/" + assetId + "?X-Amz-Expires=" + query.get("ttlSeconds"));
                    url.put("expiresAt", OffsetDateTime.now().plusMinutes(10).toString());
                    send(exchange, 200, url);
                }
            } else if (method.equals("GET") && path.startsWith("/internal/jobs/")) {
                String id = path.substring("/internal/jobs/".length());
                ObjectNode job = jobs.get(id);
                if (id.startsWith("unparseable")) {
                    problem(exchange, 400);
                } else if (job == null || !job.get("tenantId").asString().equals(query.get("tenantId"))) {
                    problem(exchange, 404);
                } else {
                    send(exchange, 200, job);
                }
            } else {
                problem(exchange, 404);
            }
        }
    }

    private void createJob(HttpExchange exchange, ObjectNode body) throws IOException {
        if (failingCreates.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            problem(exchange, 500);
            return;
        }
        ObjectNode job = body.deepCopy();
        job.put("id", UUID.randomUUID().toString()).put("status", "AWAITING_SAFETY").put("progress", 0.0)
                .put("attempts", 0).put("createdAt", OffsetDateTime.now().toString())
                .put("updatedAt", OffsetDateTime.now().toString());
        jobs.put(job.get("id").asString(), job);
        send(exchange, 201, job);
    }

    private static void problem(HttpExchange exchange, int status) throws IOException {
        ObjectNode problem = JSON.createObjectNode().put("title", "fake").put("status", status);
        exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
        byte[] bytes = JSON.writeValueAsBytes(problem);
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static void send(HttpExchange exchange, int status, JsonNode body) throws IOException {
        byte[] bytes = JSON.writeValueAsBytes(body);
        exchange.getResponseHeaders().add("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length);
        exchange.getResponseBody().write(bytes);
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> query = new LinkedHashMap<>();
        if (raw != null) {
            for (String pair : raw.split("&")) {
                String[] kv = pair.split("=", 2);
                query.put(URLDecoder.decode(kv[0], StandardCharsets.UTF_8),
                        kv.length > 1 ? URLDecoder.decode(kv[1], StandardCharsets.UTF_8) : "");
            }
        }
        return query;
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
