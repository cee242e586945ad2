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
 * <p>Run: {@code ./mvnw -q install -DskipTests && ./mvnw -q -pl bench exec:java -Dexec.args="8 20 50 150"}
 * (clients, seconds per phase, lease samples, warm-up seconds).
 */
public final class SubmitBench {

    public static void main(String[] args) throws Exception {
        int clients = args.length > 0 ? Integer.parseInt(args[0]) : 8;
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
            SubmitLoad.Result api = load.run(clients, seconds);
            long rows = jobs.count();
            jobs.clear();

            PgBench.Result pgbench = new PgBench(settings.ports().postgres()).run(clients, seconds);
            jobs.clear();

            LeaseLatency.Result lease = new LeaseLatency(settings, platform.internalToken(), key)
                    .measure(leaseSamples);

            String report = report(clients, seconds, warmupSeconds, api, rows, pgbench, lease);
            Path out = Path.of("bench", "results", "submit-" + LocalDate.now() + ".md");
            Files.createDirectories(out.getParent());
            Files.writeString(out, report);
            System.out.println(report);
            System.out.println("Written to " + out.toAbsolutePath());
        }
    }

    private static String report(int clients, int seconds, int warmupSeconds, SubmitLoad.Result api, long rows, PgBench.Result pg,
            LeaseLatency.Result lease) {
        double ratio = api.perSecond() / pg.tps();
        return """
                # Submit throughput and submit-to-lease latency

                - Date: %s
                - Machine: %s
                - JDK: %s
                - Command: `./mvnw -q -pl bench exec:java -Dexec.args="%d %d %d %d"` (clients, seconds, lease samples,
                  warm-up seconds before the measured phase)
                - Each client submits with its own API key (made through the admin API with limits the load never
                  reaches), as independent users would.

                ## Submissions per second, %d clients, %d s each, one run

                | path | per second | count |
                |---|---|---|
                | `POST /v1/flux-2-klein-4b` through gateway and job-service (HTTP 200) | %.1f | %d ok, %d failed, %d job rows |
                | pgbench, the same job + event INSERT, same PostgreSQL | %.1f | %d |

                API rate is %.0f%% of pgbench's INSERT rate (target: at least 50%%).

                ## Submit to lease, one idle worker long-polling job-service

                | | median ms | p95 ms | max ms |
                |---|---|---|---|
                | submit answered (gateway) | %.1f | %.1f | %.1f |
                | submit to lease received | %.1f | %.1f | %.1f |

                %d samples. The lease waits for the prompt's safety check, which runs before a job is queued.
                """.formatted(LocalDate.now(), Machine.describe(), System.getProperty("java.version"),
                clients, seconds, lease.samples(), warmupSeconds, clients, seconds,
                api.perSecond(), api.ok(), api.failed(), rows, pg.tps(), pg.transactions(),
                100 * ratio,
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
