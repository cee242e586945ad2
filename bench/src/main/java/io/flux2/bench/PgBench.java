package io.flux2.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * pgbench running the statement job-service runs for a new job whose prompt was checked before it was stored
 * (the job row, QUEUED, with its CREATED and PROMPT_PASSED events in one statement) against the same
 * PostgreSQL, so the API's rate has a ceiling to be compared with.
 */
final class PgBench {

    private static final String SCRIPT = """
            with created as (
              insert into jobs.jobs (id, tenant_id, tier, model, priority, status, request, max_attempts)
              values (gen_random_uuid(), 'local', 'klein', 'tiny', 30, 'QUEUED',
                      '{"prompt":"a red circle on a blue background","width":128,"height":128,"seed":1,"steps":4,"guidance":1.0,"outputFormat":"png","safetyTolerance":2}'::jsonb, 3)
              returning id, status, tier, model, priority
            )
            insert into jobs.job_events (job_id, type, data)
            select id, 'CREATED', jsonb_build_object('status', 'AWAITING_SAFETY', 'tier', tier, 'model', model, 'priority', priority)
            from created
            union all
            select id, 'PROMPT_PASSED', jsonb_build_object('status', status, 'decisionId', gen_random_uuid()::text, 'policyVersion', 'v1', 'reasons', '[]'::jsonb)
            from created;
            """;

    private final int port;

    PgBench(int port) {
        this.port = port;
    }

    record Result(double tps, long transactions) {
    }

    Result run(int clients, int seconds) throws IOException, InterruptedException {
        Path script = Files.createTempFile("flux2-insert-", ".sql");
        Files.writeString(script, SCRIPT.replace("\n", " ").trim() + "\n");
        Process process = new ProcessBuilder("pgbench", "-h", "127.0.0.1", "-p", Integer.toString(port),
                "-U", "postgres", "-n", "-c", Integer.toString(clients), "-j", "2", "-T", Integer.toString(seconds),
                "-f", script.toString(), "flux2")
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (process.waitFor() != 0) {
            throw new IllegalStateException("pgbench failed:\n" + output);
        }
        return new Result(number(output, "tps = ([0-9.]+)"),
                (long) number(output, "number of transactions actually processed: ([0-9]+)"));
    }

    private static double number(String output, String regex) {
        Matcher m = Pattern.compile(regex).matcher(output);
        if (!m.find()) {
            throw new IllegalStateException("No '" + regex + "' in pgbench output:\n" + output);
        }
        return Double.parseDouble(m.group(1));
    }
}
