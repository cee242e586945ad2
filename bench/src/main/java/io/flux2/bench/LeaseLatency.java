package io.flux2.bench;

import io.flux2.localstack.PlatformSettings;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * An idle worker long-polls job-service for work, exactly as inference-service does; a client submits
 * through the gateway; the clock runs from just before the submit until the lease arrives.
 */
final class LeaseLatency {

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    private final PlatformSettings settings;
    private final String internalToken;
    private final String apiKey;

    LeaseLatency(PlatformSettings settings, String internalToken, String apiKey) {
        this.settings = settings;
        this.internalToken = internalToken;
        this.apiKey = apiKey;
    }

    record Result(List<Double> submitMs, List<Double> leaseMs) {
        int samples() {
            return leaseMs.size();
        }

        double submitMedian() {
            return SubmitBench.percentile(submitMs, 0.5);
        }

        double submitP95() {
            return SubmitBench.percentile(submitMs, 0.95);
        }

        double submitMax() {
            return SubmitBench.percentile(submitMs, 1.0);
        }

        double leaseMedian() {
            return SubmitBench.percentile(leaseMs, 0.5);
        }

        double leaseP95() {
            return SubmitBench.percentile(leaseMs, 0.95);
        }

        double leaseMax() {
            return SubmitBench.percentile(leaseMs, 1.0);
        }
    }

    Result measure(int samples) throws Exception {
        SubmitLoad submitter = new SubmitLoad(settings.gatewayUrl(), List.of(apiKey));
        List<Double> submitMs = new ArrayList<>();
        List<Double> leaseMs = new ArrayList<>();
        for (int i = 0; i < samples + 5; i++) {
            CompletableFuture<HttpResponse<String>> lease = http.sendAsync(leaseRequest(),
                    HttpResponse.BodyHandlers.ofString());
            Thread.sleep(100);   // the worker is now waiting inside job-service
            long start = System.nanoTime();
            int status = submitter.submit(apiKey);
            long submitted = System.nanoTime();
            HttpResponse<String> response = lease.get();
            long leased = System.nanoTime();
            if (status != 200 || response.statusCode() != 200) {
                throw new IllegalStateException("submit " + status + ", lease " + response.statusCode()
                        + ": " + response.body());
            }
            if (i >= 5) {   // the first few warm the path
                submitMs.add((submitted - start) / 1e6);
                leaseMs.add((leased - start) / 1e6);
            }
        }
        return new Result(submitMs, leaseMs);
    }

    private HttpRequest leaseRequest() {
        String url = "http://127.0.0.1:" + settings.ports().jobs() + "/internal/leases";
        return HttpRequest.newBuilder(URI.create(url))
                .timeout(Duration.ofSeconds(30))
                .header("X-Internal-Token", internalToken)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("""
                        {"workerId": "bench-idle-worker", "models": ["%s"], "waitMillis": 20000}"""
                        .formatted(PlatformSettings.MODEL_NAME)))
                .build();
    }
}
