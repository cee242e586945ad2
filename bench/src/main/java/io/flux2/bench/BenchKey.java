package io.flux2.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A tenant and key made through the admin API for the load, with limits far above what the load reaches:
 * the rate-limit bucket and the active-job count still run on every submit, as for any key, but never refuse.
 */
final class BenchKey {

    private static final Pattern FIELD = Pattern.compile("\"%s\"\\s*:\\s*\"([^\"]+)\"");

    private BenchKey() {
    }

    static String create(String gatewayUrl, String adminKey) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        String tenant = field(post(http, gatewayUrl + "/admin/tenants", adminKey,
                "{\"name\": \"bench\"}"), "id");
        return field(post(http, gatewayUrl + "/admin/tenants/" + tenant + "/keys", adminKey, """
                {"name": "bench", "rate_limit": {"burst": 1000000, "per_minute": 100000000},
                 "active_job_limit": 100000000}"""), "key");
    }

    private static String post(HttpClient http, String url, String adminKey, String body) throws Exception {
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(url))
                .header("x-admin-key", adminKey)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != 201) {
            throw new IllegalStateException("POST " + url + " answered " + response.statusCode() + ": "
                    + response.body());
        }
        return response.body();
    }

    private static String field(String json, String name) {
        Matcher m = Pattern.compile(FIELD.pattern().formatted(name)).matcher(json);
        if (!m.find()) {
            throw new IllegalStateException("No " + name + " in " + json);
        }
        return m.group(1);
    }
}
