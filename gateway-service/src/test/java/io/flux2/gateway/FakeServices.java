package io.flux2.gateway;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * job-service and asset-service as docs/internal-api.md describes them (with the issue 4 additions), on a
 * real HTTP server on loopback, remembering every request it received. Prompts steer jobs: one containing
 * {@code [ready]} becomes READY with a PNG output shortly after creation, {@code [moderated]} becomes
 * REQUEST_MODERATED; any other stays AWAITING_SAFETY.
 */
final class FakeServices implements AutoCloseable {

    static final JsonMapper JSON = JsonMapper.builder().build();
    static final Set<String> TERMINAL =
            Set.of("READY", "REQUEST_MODERATED", "CONTENT_MODERATED", "ERROR", "CANCELLED");
    private static final Pattern SIZE_IN_URL = Pattern.compile("(\\d{2,5})x(\\d{2,5})");

    record Received(String method, String path, Map<String, String> query, String internalToken, JsonNode body) {
    }

    private record Idempotent(String hash, String jobId) {
    }

    private final HttpServer server;
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread thread = new Thread(r, "fake-services-scheduler");
        thread.setDaemon(true);
        return thread;
    });
    final List<Received> received = new CopyOnWriteArrayList<>();
    final Map<String, ObjectNode> jobs = new ConcurrentHashMap<>();
    final Set<String> missingAssets = ConcurrentHashMap.newKeySet();
    /** Asset id to {tenantId, width, height, contentType} and bytes. */
    final Map<String, ObjectNode> assets = new ConcurrentHashMap<>();
    final Map<String, byte[]> assetBytes = new ConcurrentHashMap<>();
    /** Credits each tenant has spent this month, as GET /internal/usage answers. */
    final Map<String, Double> credits = new ConcurrentHashMap<>();
    private final Map<String, Idempotent> idempotencyKeys = new ConcurrentHashMap<>();
    /** While set, reading a job ({@code GET /internal/jobs/{id}}) answers 500. */
    volatile boolean failingReads;
    /** How many of the next job creations answer 500. */
    final AtomicInteger failingCreates = new AtomicInteger();
    /** The output image every [ready] job produces. */
    static final byte[] OUTPUT_PNG = png(48, 32);

    private FakeServices(HttpServer server) {
        this.server = server;
    }

    static FakeServices start() {
        try {
            HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
            FakeServices fake = new FakeServices(server);
            server.createContext("/", fake::handle);
            server.setExecutor(Executors.newFixedThreadPool(8, r -> {
                Thread thread = new Thread(r, "fake-services");
                thread.setDaemon(true);
                return thread;
            }));
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

    JsonNode lastCreate() {
        var creates = received("POST", "/internal/jobs");
        creates = creates.stream().filter(r -> r.path().equals("/internal/jobs")).toList();
        return creates.get(creates.size() - 1).body();
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

    /** Stores an output image for a job and makes the job READY (a new node: readers may be serialising the old). */
    void finish(ObjectNode original) {
        ObjectNode job = original.deepCopy();
        String assetId = storeAsset(job.get("tenantId").asString(), OUTPUT_PNG, "image/png", 48, 32);
        JsonNode request = job.get("request");
        job.put("status", "READY").put("progress", 1.0).put("updatedAt", OffsetDateTime.now().toString());
        job.putObject("result").put("assetId", assetId)
                .put("seed", request.get("seed") == null ? 0 : request.get("seed").asLong())
                .put("width", 48).put("height", 32).put("contentType", "image/png");
        jobs.put(job.get("id").asString(), job);
    }

    String storeAsset(String tenantId, byte[] bytes, String contentType, int width, int height) {
        String id = UUID.randomUUID().toString();
        ObjectNode asset = JSON.createObjectNode();
        asset.put("id", id).put("tenantId", tenantId).put("kind", "reference").put("contentType", contentType)
                .put("size", bytes.length).put("width", width).put("height", height);
        assets.put(id, asset);
        assetBytes.put(id, bytes);
        return id;
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
            String[] segments = path.split("/");
            if (method.equals("POST") && path.equals("/internal/jobs")) {
                createJob(exchange, (ObjectNode) body);
            } else if (method.equals("GET") && path.equals("/internal/jobs")) {
                listJobs(exchange, query);
            } else if (method.equals("GET") && path.equals("/internal/usage")) {
                ObjectNode usage = JSON.createObjectNode();
                double spent = credits.getOrDefault(query.get("tenantId"), 0.0);
                usage.put("jobs", spent > 0 ? 3 : 0).put("megapixels", spent > 0 ? 1.5 : 0).put("credits", spent);
                usage.putObject("byTier").putObject("pro").put("jobs", spent > 0 ? 3 : 0).put("credits", spent);
                send(exchange, 200, usage);
            } else if (method.equals("POST") && path.matches("/internal/jobs/[^/]+/cancel")) {
                ObjectNode job = owned(segments[3], query);
                if (job == null) {
                    problem(exchange, 404);
                } else if (job.get("status").asString().equals("CANCELLED")) {
                    send(exchange, 200, job);
                } else if (TERMINAL.contains(job.get("status").asString())) {
                    problem(exchange, 409, "Job is finished", null);
                } else {
                    ObjectNode cancelled = job.deepCopy();
                    cancelled.put("status", "CANCELLED").put("stepsRun", 0);
                    jobs.put(cancelled.get("id").asString(), cancelled);
                    send(exchange, 200, cancelled);
                }
            } else if (method.equals("GET") && path.equals("/internal/jobs/by-idempotency-key")) {
                Idempotent earlier = idempotencyKeys.get(query.get("tenantId") + "|" + query.get("idempotencyKey"));
                if (earlier == null) {
                    problem(exchange, 404);
                } else {
                    replay(exchange, earlier, query.get("requestHash"));
                }
            } else if (method.equals("GET") && path.matches("/internal/jobs/[^/]+/events/stream")) {
                ObjectNode job = owned(segments[3], query);
                if (job == null) {
                    problem(exchange, 404);
                } else {
                    streamEvents(exchange, query.get("after"));
                }
            } else if (method.equals("GET") && path.matches("/internal/jobs/[^/]+")) {
                String id = segments[3];
                if (id.startsWith("unparseable")) {
                    problem(exchange, 400);
                    return;
                }
                if (failingReads) {
                    problem(exchange, 500);
                    return;
                }
                ObjectNode job = owned(id, query);
                if (job == null) {
                    problem(exchange, 404);
                } else {
                    send(exchange, 200, job);
                }
            } else if (method.equals("POST") && path.equals("/internal/assets/references")) {
                storeReference(exchange, body);
            } else if (method.equals("GET") && path.matches("/internal/assets/[^/]+/url")) {
                String assetId = segments[3];
                if (missingAssets.contains(assetId)) {
                    problem(exchange, 404);
                } else {
                    ObjectNode url = JSON.createObjectNode();
                    url.put("url", "http://assets.test/outputs/" + assetId + "?X-Amz-Expires=" + query.get("ttlSeconds"));
                    url.put("expiresAt", "2030-01-01T00:10:00Z");
                    send(exchange, 200, url);
                }
            } else if (method.equals("GET") && path.matches("/internal/assets/[^/]+/content")) {
                byte[] bytes = assetBytes.get(segments[3]);
                if (bytes == null || missingAssets.contains(segments[3])) {
                    problem(exchange, 404);
                } else {
                    exchange.getResponseHeaders().add("Content-Type", "image/png");
                    exchange.sendResponseHeaders(200, bytes.length);
                    exchange.getResponseBody().write(bytes);
                }
            } else {
                problem(exchange, 404);
            }
        }
    }

    private ObjectNode owned(String id, Map<String, String> query) {
        ObjectNode job = jobs.get(id);
        return job == null || !job.get("tenantId").asString().equals(query.get("tenantId")) ? null : job;
    }

    private void createJob(HttpExchange exchange, ObjectNode body) throws IOException {
        if (failingCreates.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
            problem(exchange, 500);
            return;
        }
        String tenant = body.get("tenantId").asString();
        JsonNode webhook = body.get("webhook");
        if (webhook != null && webhook.get("url").asString().contains("127.0.0.1")) {
            ObjectNode problem = problemBody(422, "webhook.url points at a private address");
            problem.put("field", "webhook.url");
            sendProblem(exchange, 422, problem, null);
            return;
        }
        JsonNode cap = body.get("monthlySpendCap");
        if (cap != null && cap.isNumber()) {
            // As job-service: this month's credits (the credits map) plus the cost must stay within the cap.
            double spent = credits.getOrDefault(tenant, 0.0);
            double cost = body.path("cost").asDouble(0);
            if (spent + cost > cap.asDouble() + 1e-9) {
                ObjectNode problem = problemBody(402, "This job costs " + cost + " credits; the cap is reached");
                problem.put("cost", cost).put("spent", spent).put("limit", cap.decimalValue());
                sendProblem(exchange, 402, problem, null);
                return;
            }
        }
        JsonNode key = body.get("idempotencyKey");
        String scopedKey = key == null || key.isNull() ? null : tenant + "|" + key.asString();
        if (scopedKey != null) {
            if (key.asString().startsWith("inflight-")) {
                problem(exchange, 409, "A request with this Idempotency-Key is in progress", null);
                return;
            }
            Idempotent earlier = idempotencyKeys.get(scopedKey);
            if (earlier != null) {
                replay(exchange, earlier, body.get("requestHash").asString());
                return;
            }
        }
        JsonNode limit = body.get("activeJobLimit");
        JsonNode keyId = body.get("apiKeyId");
        if (limit != null && !limit.isNull() && keyId != null) {
            long active = jobs.values().stream()
                    .filter(j -> j.get("apiKeyId") != null && j.get("apiKeyId").asString().equals(keyId.asString()))
                    .filter(j -> !TERMINAL.contains(j.get("status").asString()))
                    .count();
            if (active >= limit.asInt()) {
                ObjectNode problem = problemBody(429, "This key has " + active + " unfinished jobs; the limit is "
                        + limit.asInt());
                problem.put("limit", limit.asInt());
                sendProblem(exchange, 429, problem, "3");
                return;
            }
        }
        ObjectNode job = body.deepCopy();
        job.put("id", UUID.randomUUID().toString()).put("status", "AWAITING_SAFETY").put("progress", 0.0)
                .put("attempts", 0).put("createdAt", OffsetDateTime.now().toString())
                .put("updatedAt", OffsetDateTime.now().toString());
        job.remove("webhook");
        jobs.put(job.get("id").asString(), job);
        if (scopedKey != null) {
            idempotencyKeys.put(scopedKey, new Idempotent(body.get("requestHash").asString(), job.get("id").asString()));
        }
        String prompt = body.get("request").get("prompt").asString();
        if (prompt.contains("[ready]")) {
            scheduler.schedule(() -> finish(job), 300, TimeUnit.MILLISECONDS);
        } else if (prompt.contains("[moderated]")) {
            scheduler.schedule(() -> {
                ObjectNode moderated = job.deepCopy();
                moderated.put("status", "REQUEST_MODERATED");
                moderated.putObject("details").putArray("moderation_reasons").add("Protected Content");
                jobs.put(moderated.get("id").asString(), moderated);
            }, 100, TimeUnit.MILLISECONDS);
        }
        send(exchange, 201, job);
    }

    private void listJobs(HttpExchange exchange, Map<String, String> query) throws IOException {
        List<ObjectNode> mine = new ArrayList<>(jobs.values().stream()
                .filter(j -> j.get("tenantId").asString().equals(query.get("tenantId")))
                .sorted(Comparator.comparing((ObjectNode j) -> j.get("createdAt").asString()).reversed()
                        .thenComparing(j -> j.get("id").asString()))
                .toList());
        int offset = query.get("cursor") == null ? 0 : Integer.parseInt(query.get("cursor"));
        int limit = Integer.parseInt(query.getOrDefault("limit", "20"));
        ObjectNode page = JSON.createObjectNode();
        var items = page.putArray("items");
        mine.stream().skip(offset).limit(limit).forEach(items::add);
        if (offset + limit < mine.size()) {
            page.put("nextCursor", Integer.toString(offset + limit));
        } else {
            page.putNull("nextCursor");
        }
        send(exchange, 200, page);
    }

    /**
     * Five events of a job's life with a keepalive comment before the third; {@code after} skips events up to
     * it, as job-service's stream does.
     */
    private static void streamEvents(HttpExchange exchange, String after) throws IOException {
        long from = after == null ? 0 : Long.parseLong(after);
        String[][] events = {
                {"1", "queued", "{\"position\":0}"},
                {"2", "started", "{}"},
                {"3", "progress", "{\"step\":1,\"totalSteps\":2}"},
                {"4", "progress", "{\"step\":2,\"totalSteps\":2}"},
                {"5", "succeeded", "{\"assetId\":\"a-1\"}"}};
        exchange.getResponseHeaders().add("Content-Type", "text/event-stream");
        exchange.sendResponseHeaders(200, 0);
        OutputStream out = exchange.getResponseBody();
        for (String[] event : events) {
            if (Long.parseLong(event[0]) <= from) {
                continue;
            }
            if (event[0].equals("3")) {
                out.write(":keepalive\n\n".getBytes(StandardCharsets.UTF_8));
            }
            out.write(("id:" + event[0] + "\nevent:" + event[1] + "\ndata:" + event[2] + "\n\n")
                    .getBytes(StandardCharsets.UTF_8));
            out.flush();
        }
    }

    /** As job-service answers a known Idempotency-Key: the earlier job for the same hash, else a 422. */
    private void replay(HttpExchange exchange, Idempotent earlier, String requestHash) throws IOException {
        if (!earlier.hash().equals(requestHash)) {
            ObjectNode problem = problemBody(422, "Idempotency-Key reused with another body");
            problem.put("field", "Idempotency-Key");
            sendProblem(exchange, 422, problem, null);
            return;
        }
        exchange.getResponseHeaders().add("Idempotent-Replayed", "true");
        send(exchange, 200, jobs.get(earlier.jobId()));
    }

    private void storeReference(HttpExchange exchange, JsonNode body) throws IOException {
        String tenant = body.get("tenantId").asString();
        String source = body.get("source").asString();
        if (source.startsWith("bad")) {
            ObjectNode problem = problemBody(422, "source is not an image");
            problem.put("field", "source");
            sendProblem(exchange, 422, problem, null);
            return;
        }
        if (source.startsWith("huge")) {
            ObjectNode problem = problemBody(413, "the image is larger than 20971520 bytes");
            problem.put("field", "source").put("limit", 20971520);
            sendProblem(exchange, 413, problem, null);
            return;
        }
        if (source.startsWith("wide")) {
            ObjectNode problem = problemBody(422, "the image is wider than 8192 pixels");
            problem.put("field", "source").put("limit", 8192);
            sendProblem(exchange, 422, problem, null);
            return;
        }
        ObjectNode existing = assets.get(source);
        if (existing != null) {
            if (!existing.get("tenantId").asString().equals(tenant)) {
                ObjectNode problem = problemBody(422, "source names no asset of this tenant");
                problem.put("field", "source");
                sendProblem(exchange, 422, problem, null);
            } else {
                send(exchange, 201, existing);
            }
            return;
        }
        int width = 1024;
        int height = 768;
        byte[] bytes = source.getBytes(StandardCharsets.UTF_8);
        String contentType = "image/png";
        if (source.startsWith("http")) {
            Matcher size = SIZE_IN_URL.matcher(source);
            if (size.find()) {
                width = Integer.parseInt(size.group(1));
                height = Integer.parseInt(size.group(2));
            }
        } else {
            String b64 = source.startsWith("data:") ? source.substring(source.indexOf(',') + 1) : source;
            bytes = Base64.getDecoder().decode(b64);
            // PNG: IHDR width and height at bytes 16..24.
            ByteBuffer header = ByteBuffer.wrap(bytes);
            width = header.getInt(16);
            height = header.getInt(20);
        }
        String id = storeAsset(tenant, bytes, contentType, width, height);
        send(exchange, 201, assets.get(id));
    }

    static byte[] png(int width, int height) {
        try {
            BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
            for (int y = 0; y < height; y++) {
                for (int x = 0; x < width; x++) {
                    image.setRGB(x, y, (x * 5) << 16 | (y * 7) << 8 | 90);
                }
            }
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            ImageIO.write(image, "png", out);
            return out.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static ObjectNode problemBody(int status, String detail) {
        return JSON.createObjectNode().put("type", "about:blank").put("title", "fake").put("status", status)
                .put("detail", detail);
    }

    private static void problem(HttpExchange exchange, int status) throws IOException {
        sendProblem(exchange, status, JSON.createObjectNode().put("title", "fake").put("status", status), null);
    }

    private static void problem(HttpExchange exchange, int status, String detail, String retryAfter) throws IOException {
        sendProblem(exchange, status, problemBody(status, detail), retryAfter);
    }

    private static void sendProblem(HttpExchange exchange, int status, ObjectNode problem, String retryAfter)
            throws IOException {
        exchange.getResponseHeaders().add("Content-Type", "application/problem+json");
        if (retryAfter != null) {
            exchange.getResponseHeaders().add("Retry-After", retryAfter);
        }
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
        scheduler.shutdownNow();
    }
}
