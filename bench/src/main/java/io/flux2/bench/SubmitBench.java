package io.flux2.bench;

import io.flux2.localstack.LocalPlatform;
import io.flux2.localstack.PlatformPorts;
import io.flux2.localstack.PlatformSettings;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Submission throughput through gateway and job-service, against pgbench running the job-service INSERT
 * with the same client count on the same PostgreSQL, in one run; then the time from submit to lease with
 * an idle worker waiting. Writes bench/results/submit-DATE.md.
 *
 * <p>Run: {@code ./mvnw -q install -DskipTests && ./mvnw -q -pl bench exec:java -Dexec.args="8,32,64 20 50 150"}
 * (client counts, seconds per phase, lease samples, warm-up seconds). Each client count runs the API and then
 * pgbench with that many clients.
 */
public final class SubmitBench {

    public static void main(String[] args) throws Exception {
        List<Integer> clientCounts = Arrays.stream((args.length > 0 ? args[0] : "8").split(","))
                .map(String::trim).map(Integer::parseInt).toList();
        int clients = clientCounts.stream().mapToInt(Integer::intValue).max().orElseThrow();
        int seconds = args.length > 1 ? Integer.parseInt(args[1]) : 20;
        int leaseSamples = args.length > 2 ? Integer.parseInt(args[2]) : 50;
        // Five services in one JVM on two cores: the JIT compilers still take a third of the CPU after 45 s of
        // load, and the rate measured after 150 s was 2.4 times the rate after 45 s (2026-11-27).
        int warmupSeconds = args.length > 3 ? Integer.parseInt(args[3]) : 150;
        Path data = Files.createTempDirectory("flux2-bench-");
        PlatformSettings settings = new PlatformSettings(PlatformPorts.free(), data,
                Path.of("model-tools", "packages", PlatformSettings.MODEL_NAME), PlatformSettings.LOCAL_API_KEY,
                PlatformSettings.LOCAL_ADMIN_KEY, 0);
        try (LocalPlatform platform = LocalPlatform.start(settings)) {
            JobTable jobs = new JobTable(platform.jdbcUrl());
            // One key per client, as independent users would have: a key's active-job limit is settled under a
            // lock of its own, so clients sharing one key would measure that lock instead of the platform.
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < clients; i++) {
                keys.add(BenchKey.create(settings.gatewayUrl(), settings.adminKey()));
            }
            String key = keys.get(0);
            SubmitLoad load = new SubmitLoad(settings.gatewayUrl(), keys);

            load.run(clients, warmupSeconds);   // warm-up: JIT, pools, plans
            jobs.clear();
            List<Comparison> comparisons = new ArrayList<>();
            for (int count : clientCounts) {
                SubmitLoad.Result api = load.run(count, seconds);
                long rows = jobs.count();
                jobs.clear();
                PgBench.Result pgbench = new PgBench(settings.ports().postgres()).run(count, seconds);
                jobs.clear();
                comparisons.add(new Comparison(count, api, rows, pgbench));
            }

            LeaseLatency.Result lease = new LeaseLatency(settings, platform.internalToken(), key)
                    .measure(leaseSamples);

            String report = report(args.length > 0 ? args[0] : "8", seconds, warmupSeconds, comparisons, lease);
            Path out = Path.of("bench", "results", "submit-" + LocalDate.now() + ".md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report);
            System.out.println(report);
            System.out.println("Written to " + out.toAbsolutePath());
        }
    }

    /** The API's and pgbench's rates with the same number of clients. */
    record Comparison(int clients, SubmitLoad.Result api, long rows, PgBench.Result pgbench) {
        double ratio() {
            return api.perSecond() / pgbench.tps();
        }
    }

    private static String report(String clientCounts, int seconds, int warmupSeconds, List<Comparison> comparisons,
            LeaseLatency.Result lease) {
        StringBuilder rows = new StringBuilder();
        for (Comparison c : comparisons) {
            rows.append("| %d | %.1f | %d ok, %d failed, %d job rows | %.1f | %d | %.0f%% |%n".formatted(c.clients(),
                    c.api().perSecond(), c.api().ok(), c.api().failed(), c.rows(), c.pgbench().tps(),
                    c.pgbench().transactions(), 100 * c.ratio()));
        }
        return """
                # Submit throughput and submit-to-lease latency

                - Date: %s
                - Machine: %s
                - JDK: %s
                - Command: `./mvnw -q -pl bench exec:java -Dexec.args="%s %d %d %d"` (client counts, seconds per
                  phase, lease samples, warm-up seconds before the measured phases)
                - Each client submits with its own API key (made through the admin API with limits the load never
                  reaches), as independent users would. For each client count, the API phase and then pgbench.

                ## Submissions per second, %d s per phase, one run

                API: `POST /v1/flux-2-klein-4b` through gateway and job-service (HTTP 200). pgbench: the statement
                job-service runs for a new job whose prompt was checked (the job and its two events), same
                PostgreSQL, same number of clients. Target: the API at least 50%% of pgbench.

                | clients | API per second | API count | pgbench per second | pgbench count | API / pgbench |
                |---|---|---|---|---|---|
                %s
                ## Submit to lease, one idle worker long-polling job-service

                | | median ms | p95 ms | max ms |
                |---|---|---|---|
                | submit answered (gateway) | %.1f | %.1f | %.1f |
                | submit to lease received | %.1f | %.1f | %.1f |

                %d samples.
                """.formatted(LocalDate.now(), Machine.describe(), System.getProperty("java.version"),
                clientCounts, seconds, lease.samples(), warmupSeconds, seconds, rows,
                lease.submitMedian(), lease.submitP95(), lease.submitMax(),
                lease.leaseMedian(), lease.leaseP95(), lease.leaseMax(), lease.samples());
    }

    static double percentile(List<Double> values, double p) {
        double[] sorted = values.stream().mapToDouble(Double::doubleValue).toArray();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }
}
