package io.flux2.jobs.support;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * safety-service per docs/internal-api.md, with a policy simple enough to steer from a test: a prompt
 * containing {@link #FLAGGED_WORD}, or an image whose bytes contain it, is flagged.
 */
public final class FakeSafetyService extends FakeHttpService {

    public static final String FLAGGED_WORD = "forbidden";

    /** One check as received. */
    public record Check(String kind, String subject, int tolerance, String contentType) {
    }

    private final JsonMapper json = JsonMapper.builder().build();
    private final List<Check> checks = new CopyOnWriteArrayList<>();

    @Override
    protected void handle(HttpExchange exchange) throws IOException {
        String path = exchange.getRequestURI().getPath();
        byte[] body = exchange.getRequestBody().readAllBytes();
        boolean flagged;
        if (path.equals("/internal/checks/prompts") && exchange.getRequestMethod().equals("POST")) {
            List<Map<String, Object>> decisions = new ArrayList<>();
            for (JsonNode check : json.readTree(body).path("checks")) {
                checks.add(new Check("prompt", check.path("subject").asString(), check.path("tolerance").asInt(), null));
                decisions.add(decision(check.path("prompt").asString().contains(FLAGGED_WORD)));
            }
            send(exchange, 200, "application/json", json.writeValueAsString(Map.of("decisions", decisions)));
            return;
        } else if (path.equals("/internal/checks/prompt") && exchange.getRequestMethod().equals("POST")) {
            JsonNode check = json.readTree(body);
            checks.add(new Check("prompt", check.path("subject").asString(), check.path("tolerance").asInt(), null));
            flagged = check.path("prompt").asString().contains(FLAGGED_WORD);
        } else if (path.equals("/internal/checks/image") && exchange.getRequestMethod().equals("POST")) {
            Map<String, String> query = query(exchange.getRequestURI().getRawQuery());
            checks.add(new Check("image", query.get("subject"), Integer.parseInt(query.get("tolerance")),
                    exchange.getRequestHeaders().getFirst("Content-Type")));
            flagged = new String(body, StandardCharsets.ISO_8859_1).contains(FLAGGED_WORD);
        } else {
            send(exchange, 404, "application/problem+json", "{\"status\":404}");
            return;
        }
        send(exchange, 200, "application/json", json.writeValueAsString(decision(flagged)));
    }

    private static Map<String, Object> decision(boolean flagged) {
        return Map.of(
                "decisionId", UUID.randomUUID().toString(),
                "flagged", flagged,
                "reasons", flagged ? List.of("test-policy: " + FLAGGED_WORD) : List.of(),
                "policyVersion", "test-1");
    }

    public List<Check> checksFor(String subject) {
        return checks.stream().filter(check -> subject.equals(check.subject())).toList();
    }

    private static Map<String, String> query(String raw) {
        Map<String, String> values = new HashMap<>();
        for (String pair : raw == null ? new String[0] : raw.split("&")) {
            String[] parts = pair.split("=", 2);
            values.put(URLDecoder.decode(parts[0], StandardCharsets.UTF_8),
                    parts.length > 1 ? URLDecoder.decode(parts[1], StandardCharsets.UTF_8) : "");
        }
        return values;
    }
}
