package io.flux2.e2e;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * Reads a {@code text/event-stream} to its end with a plain HTTP client (the generated SDKs read a response
 * whole and as JSON, so they cannot follow a stream).
 */
final class ServerSentEvents {

    private static final JsonMapper JSON = JsonMapper.builder().build();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ServerSentEvents() {
    }

    record Event(long id, String event, JsonNode data) {
    }

    record Stream(int status, String contentType, List<Event> events) {
    }

    /** GETs {@code path} and collects every event until the server ends the stream. */
    static Stream read(String path, String key, String lastEventId) {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(RunningPlatform.get().gatewayUrl() + path))
                .timeout(Duration.ofSeconds(120))
                .header("Accept", "text/event-stream")
                .header("x-key", key)
                .GET();
        if (lastEventId != null) {
            request.header("Last-Event-ID", lastEventId);
        }
        try {
            HttpResponse<java.io.InputStream> response = HTTP.send(request.build(), HttpResponse.BodyHandlers.ofInputStream());
            String contentType = response.headers().firstValue("Content-Type").orElse("");
            List<Event> events = new ArrayList<>();
            try (BufferedReader reader = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
                if (response.statusCode() != 200) {
                    reader.lines().forEach(line -> { });
                    return new Stream(response.statusCode(), contentType, events);
                }
                String id = null;
                String name = null;
                StringBuilder data = new StringBuilder();
                String line;
                while ((line = reader.readLine()) != null) {
                    if (line.isEmpty()) {
                        if (data.length() > 0 || name != null) {
                            events.add(new Event(id == null ? -1 : Long.parseLong(id), name,
                                    JSON.readTree(data.length() == 0 ? "{}" : data.toString())));
                        }
                        id = null;
                        name = null;
                        data.setLength(0);
                    } else if (line.startsWith("id:")) {
                        id = line.substring(3).strip();
                    } else if (line.startsWith("event:")) {
                        name = line.substring(6).strip();
                    } else if (line.startsWith("data:")) {
                        if (data.length() > 0) {
                            data.append('\n');
                        }
                        data.append(line.substring(5).stripLeading());
                    }
                }
            }
            return new Stream(response.statusCode(), contentType, events);
        } catch (IOException | InterruptedException e) {
            throw new AssertionError("GET " + path + " failed", e);
        }
    }
}
