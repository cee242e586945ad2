package io.flux2.jobs.support;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** asset-service per docs/internal-api.md, reduced to what job-service uses: read content, sign a URL, delete. */
public final class FakeAssetService extends FakeHttpService {

    private static final Pattern CONTENT = Pattern.compile("/internal/assets/([^/]+)/content");
    private static final Pattern ASSET = Pattern.compile("/internal/assets/([^/]+)");
    private static final Pattern URL = Pattern.compile("/internal/assets/([^/]+)/url");

    private record Stored(byte[] bytes, String contentType) {
    }

    private final Map<String, Stored> assets = new ConcurrentHashMap<>();
    private final Set<String> deleted = ConcurrentHashMap.newKeySet();

    /** Stores an output as an inference pod would have, and returns its id. */
    public String store(byte[] bytes, String contentType) {
        String id = UUID.randomUUID().toString();
        assets.put(id, new Stored(bytes, contentType));
        return id;
    }

    /** The URL this fake signs for an asset (the query's {@code ttlSeconds} is not echoed). */
    public String signedUrl(String id) {
        return "http://store.test/outputs/" + id + "?signature=fake";
    }

    public boolean wasDeleted(String id) {
        return deleted.contains(id);
    }

    public boolean exists(String id) {
        return assets.containsKey(id);
    }

    @Override
    protected void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        Matcher content = CONTENT.matcher(path);
        Matcher asset = ASSET.matcher(path);
        Matcher url = URL.matcher(path);
        if (exchange.getRequestMethod().equals("GET") && content.matches()) {
            Stored stored = assets.get(content.group(1));
            if (stored == null) {
                send(exchange, 404, "application/problem+json", "{\"status\":404}");
            } else {
                send(exchange, 200, stored.contentType(), stored.bytes());
            }
        } else if (exchange.getRequestMethod().equals("GET") && url.matches()) {
            if (!assets.containsKey(url.group(1))) {
                send(exchange, 404, "application/problem+json", "{\"status\":404}");
            } else {
                send(exchange, 200, "application/json", ("{\"url\":\"" + signedUrl(url.group(1)) + "\",\"expiresAt\":\""
                        + java.time.Instant.now().plusSeconds(600) + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
            }
        } else if (exchange.getRequestMethod().equals("DELETE") && asset.matches()) {
            assets.remove(asset.group(1));
            deleted.add(asset.group(1));
            send(exchange, 204, null, new byte[0]);
        } else {
            send(exchange, 404, "application/problem+json", "{\"status\":404}");
        }
    }
}
