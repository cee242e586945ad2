package io.flux2.e2e;

import static io.flux2.e2e.Sdk.call;
import static io.flux2.e2e.Sdk.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.sdk.ApiException;
import io.flux2.sdk.api.AccountApi;
import io.flux2.sdk.api.JobsApi;
import io.flux2.sdk.model.Job;
import io.flux2.sdk.model.JobRequest;
import io.flux2.sdk.model.JobStatus;
import io.flux2.sdk.model.Tier;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Cancel and the per-key active-job limit, on the local platform's single inference worker: pro's fixed steps
 * at 512x512 keep a job running long enough to cancel it, and jobs behind it stay active.
 */
class CancelAndLimitsTest {

    @Test
    void aCancelStopsTheWorkerBeforeTheNextStep() {
        JobsApi jobs = new JobsApi(Sdk.client(RunningPlatform.API_KEY));
        Job created = call(() -> jobs.createJob(pro("a long exposure of a night sky", 512), null, null));
        String id = created.getId();

        Job running = awaitRunningWithSteps(jobs, id);
        Job answer = call(() -> jobs.cancelJob(id));
        assertThat(answer.getStatus()).as(answer.toString()).isIn(JobStatus.RUNNING, JobStatus.CANCELLED);
        if (answer.getStatus() == JobStatus.RUNNING) {
            assertThat(answer.getCancelRequested()).isTrue();
        }
        int stepsAtCancel = answer.getStepsRun() == null ? running.getStepsRun() : answer.getStepsRun();

        Job cancelled = Sdk.awaitEnd(jobs, id, Duration.ofSeconds(60));
        assertThat(cancelled.getStatus()).as(cancelled.toString()).isEqualTo(JobStatus.CANCELLED);
        assertThat(cancelled.getTotalSteps()).isEqualTo(RunningPlatform.MODEL_STEPS);
        assertThat(cancelled.getStepsRun()).as("steps run before the worker saw the cancel")
                .isBetween(1, Math.min(RunningPlatform.MODEL_STEPS - 1, stepsAtCancel + 2));
        assertThat(cancelled.getResult()).isNull();

        assertThat(problem(404, () -> jobs.getJobResult(id)).body().path("status").asString()).isEqualTo("cancelled");
        // A cancel sent again (say its answer was lost) is answered with the cancelled job, not refused.
        assertThat(call(() -> jobs.cancelJob(id)).getStatus()).isEqualTo(JobStatus.CANCELLED);
        ServerSentEvents.Stream events = ServerSentEvents.read("/v2/jobs/" + id + "/events", RunningPlatform.API_KEY, null);
        ServerSentEvents.Event last = events.events().get(events.events().size() - 1);
        assertThat(last.event()).isEqualTo("cancelled");
        assertThat(last.data().path("stepsRun").asInt()).isEqualTo(cancelled.getStepsRun());

        // BFL has no cancelled status: get_result reads Error with details.cancelled.
        var bfl = new GatewayClient(RunningPlatform.get().gatewayUrl()).get("/v1/get_result?id=" + id, RunningPlatform.API_KEY);
        assertThat(bfl.body().path("status").asString()).isEqualTo("Error");
        assertThat(bfl.body().path("details").path("cancelled").asBoolean()).isTrue();
    }

    @Test
    void aQueuedJobIsCancelledAtOnceAndItsResultIsAConflictBefore() {
        JobsApi jobs = new JobsApi(Sdk.client(RunningPlatform.API_KEY));
        // Two pro jobs: the worker takes one at a time, so the second is still waiting when it is cancelled.
        Job first = call(() -> jobs.createJob(pro("the first of two", 256), null, null));
        Job second = call(() -> jobs.createJob(pro("the second of two", 256), null, null));
        Sdk.Problem notFinished = problem(409, () -> jobs.getJobResult(second.getId()));
        assertThat(notFinished.contentType()).startsWith("application/problem+json");

        Job cancelled = call(() -> jobs.cancelJob(second.getId()));
        assertThat(cancelled.getStatus()).as(cancelled.toString()).isEqualTo(JobStatus.CANCELLED);
        assertThat(cancelled.getStepsRun()).isZero();
        call(() -> jobs.cancelJob(first.getId()));
        assertThat(Sdk.awaitEnd(jobs, first.getId()).getStatus()).isIn(JobStatus.CANCELLED, JobStatus.READY);
    }

    @Test
    void theTwentyFifthConcurrentJobOfAKeyIsRefusedWith429() throws Exception {
        Sdk.NewTenant tenant = Sdk.newTenant("e2e-limits", null);
        assertThat(tenant.key().getActiveJobLimit()).as("the key takes the default limit").isNull();
        JobsApi jobs = tenant.jobs();
        Tier pro = call(() -> new AccountApi(Sdk.client(tenant.apiKey())).listTiers()).getItems().stream()
                .filter(t -> "pro".equals(t.getName())).findFirst().orElseThrow();
        assertThat(pro.getActiveJobLimit()).isEqualTo(24);

        List<Job> accepted = new ArrayList<>();
        List<ApiException> refused = new ArrayList<>();
        ExecutorService pool = Executors.newFixedThreadPool(25);
        try {
            List<Callable<Job>> submits = new ArrayList<>();
            for (int i = 0; i < 25; i++) {
                int n = i;
                submits.add(() -> jobs.createJob(pro("concurrent job " + n, 512), null, null));
            }
            for (Future<Job> result : pool.invokeAll(submits)) {
                try {
                    accepted.add(result.get());
                } catch (java.util.concurrent.ExecutionException e) {
                    if (e.getCause() instanceof ApiException api) {
                        refused.add(api);
                    } else {
                        throw e;
                    }
                }
            }
        } finally {
            pool.shutdown();
        }
        try {
            assertThat(refused).as("refused: %s", refused.stream().map(ApiException::getResponseBody).toList()).hasSize(1);
            assertThat(accepted).hasSize(24);
            ApiException tooMany = refused.get(0);
            assertThat(tooMany.getCode()).as(tooMany.getResponseBody()).isEqualTo(429);
            assertThat(tooMany.getResponseHeaders().firstValue("Retry-After")).isPresent();
            assertThat(tooMany.getResponseHeaders().firstValue("Content-Type").orElse("")).startsWith("application/problem+json");
            assertThat(tooMany.getResponseBody()).contains("\"limit\":24");

            // The limit counts unfinished jobs: one cancelled, the next submit gets in.
            Job freed = accepted.get(accepted.size() - 1);
            call(() -> jobs.cancelJob(freed.getId()));
            Sdk.awaitEnd(jobs, freed.getId());
            accepted.add(call(() -> jobs.createJob(pro("one more after a cancel", 512), null, null)));
        } finally {
            for (Job job : accepted) {
                try {
                    jobs.cancelJob(job.getId());
                } catch (ApiException e) {
                    // already finished
                }
            }
            accepted.forEach(job -> Sdk.awaitEnd(jobs, job.getId()));
        }
    }

    private static JobRequest pro(String prompt, int size) {
        return new JobRequest().tier("pro").prompt(prompt).width(size).height(size)
                .outputFormat(JobRequest.OutputFormatEnum.PNG);
    }

    private static Job awaitRunningWithSteps(JobsApi jobs, String id) {
        Instant deadline = Instant.now().plusSeconds(120);
        while (Instant.now().isBefore(deadline)) {
            Job job = call(() -> jobs.getJob(id));
            if (job.getStatus() == JobStatus.RUNNING && job.getStepsRun() != null && job.getStepsRun() >= 1) {
                return job;
            }
            assertThat(Sdk.TERMINAL).as("job ended before it could be cancelled: %s", job).doesNotContain(job.getStatus());
            Sdk.sleep(10);
        }
        throw new AssertionError("Job " + id + " never ran");
    }
}
