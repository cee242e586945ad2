package io.flux2.bench;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/** Closed-loop clients submitting BFL requests to the gateway as fast as they are answered. */
final class SubmitLoad {

    private static final String BODY = """
            {"prompt": "a red circle on a blue background", "width": 128, "height": 128, "output_format": "png"}""";

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final String gatewayUrl;
    private final List<String> apiKeys;

    /** @param apiKeys client i submits with key i modulo their number */
    SubmitLoad(String gatewayUrl, List<String> apiKeys) {
        this.gatewayUrl = gatewayUrl;
        this.apiKeys = List.copyOf(apiKeys);
    }

    record Result(long ok, long failed, double seconds) {
        double perSecond() {
            return ok / seconds;
        }
    }

    Result run(int clients, int seconds) throws InterruptedException {
        AtomicLong ok = new AtomicLong();
        AtomicLong failed = new AtomicLong();
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(seconds).toNanos();
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            String key = apiKeys.get(i % apiKeys.size());
            Thread t = new Thread(() -> {
                while (System.nanoTime() < end) {
                    if (submit(key) == 200) {
                        ok.incrementAndGet();
                    } else {
                        failed.incrementAndGet();
                    }
                }
            }, "submitter-" + i);
            t.start();
            threads.add(t);
        }
        for (Thread t : threads) {
            t.join();
        }
        return new Result(ok.get(), failed.get(), (System.nanoTime() - start) / 1e9);
    }

    int submit(String apiKey) {
        try {
            HttpRequest request = HttpRequest.newBuilder(URI.create(gatewayUrl + "/v1/flux-2-klein-4b"))
                    .timeout(Duration.ofSeconds(30))
                    .header("x-key", apiKey)
                    .header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(BODY))
                    .build();
            return http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
        } catch (Exception e) {
            return -1;
        }
    }
}
