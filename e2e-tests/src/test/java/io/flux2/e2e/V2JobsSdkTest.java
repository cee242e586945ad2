package io.flux2.e2e;

import static io.flux2.e2e.Sdk.call;
import static io.flux2.e2e.Sdk.klein;
import static io.flux2.e2e.Sdk.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.sdk.ApiResponse;
import io.flux2.sdk.api.AccountApi;
import io.flux2.sdk.api.JobsApi;
import io.flux2.sdk.model.ApiKeyCreate;
import io.flux2.sdk.model.Job;
import io.flux2.sdk.model.JobPage;
import io.flux2.sdk.model.JobRequest;
import io.flux2.sdk.model.JobStatus;
import io.flux2.sdk.model.Quote;
import io.flux2.sdk.model.RateLimit;
import io.flux2.sdk.model.Recipe;
import io.flux2.sdk.model.ReplayRequest;
import io.flux2.sdk.model.ResultUrl;
import io.flux2.sdk.model.TenantCreate;
import io.flux2.sdk.model.Tier;
import io.flux2.sdk.model.TierList;
import io.flux2.sdk.model.Usage;
import java.awt.image.BufferedImage;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Every /v2 endpoint through the Java SDK generated from api/openapi.yaml, against the local platform. */
class V2JobsSdkTest {

    private static JobsApi jobs;
    private static AccountApi account;
    private static GatewayClient gateway;

    @BeforeAll
    static void sdk() {
        jobs = new JobsApi(Sdk.client(RunningPlatform.API_KEY));
        account = new AccountApi(Sdk.client(RunningPlatform.API_KEY));
        gateway = new GatewayClient(RunningPlatform.get().gatewayUrl());
    }

    @Test
    void aCreatedJobRunsToReadyAndItsImageDownloads() {
        ApiResponse<Job> created = call(() -> jobs.createJobWithHttpInfo(klein("a green square").seed(11L), null, null));
        assertThat(created.getStatusCode()).isEqualTo(201);
        Job job = created.getData();
        assertThat(created.getHeaders().get("Location")).containsExactly("/v2/jobs/" + job.getId());
        assertThat(job.getStatus()).isIn(JobStatus.AWAITING_SAFETY, JobStatus.QUEUED, JobStatus.RUNNING,
                JobStatus.CHECKING_OUTPUT, JobStatus.READY);
        assertThat(job.getTier()).isEqualTo("klein");
        assertThat(job.getCost()).isEqualByComparingTo("1.4");
        assertThat(job.getOutputMp()).isNotNull();
        assertThat(job.getLinks().getEvents()).isEqualTo("/v2/jobs/" + job.getId() + "/events");

        Job ready = Sdk.awaitEnd(jobs, job.getId());
        assertThat(ready.getStatus()).as(ready.toString()).isEqualTo(JobStatus.READY);
        assertThat(ready.getResult().getSeed()).isEqualTo(11L);
        assertThat(ready.getResult().getUrl()).as("GET /v2/jobs/{id} of a ready job carries a fresh URL").startsWith("http");
        assertThat(ready.getTotalSteps()).isEqualTo(RunningPlatform.MODEL_STEPS);

        ResultUrl result = call(() -> jobs.getJobResult(job.getId()));
        assertThat(result.getContentType()).isEqualTo("image/png");
        assertThat(result.getExpiresAt()).isNotBlank();
        BufferedImage image = Sdk.decode(gateway.download(result.getUrl()));
        assertThat(image.getWidth()).isEqualTo(128);
        assertThat(image.getHeight()).isEqualTo(128);
        assertThat(Sdk.decode(gateway.download(ready.getResult().getUrl())).getWidth()).isEqualTo(128);
    }

    @Test
    void aRetriedSubmitWithTheSameIdempotencyKeyCreatesOneJob() {
        Sdk.NewTenant tenant = Sdk.newTenant("e2e-idempotency", null);
        JobsApi own = tenant.jobs();
        String key = "retry-" + UUID.randomUUID();
        JobRequest body = klein("an idempotent teapot").seed(5L);

        ApiResponse<Job> first = call(() -> own.createJobWithHttpInfo(body, key, null));
        ApiResponse<Job> retry = call(() -> own.createJobWithHttpInfo(body, key, null));
        ApiResponse<Job> again = call(() -> own.createJobWithHttpInfo(body, key, null));

        assertThat(first.getStatusCode()).isEqualTo(201);
        assertThat(retry.getStatusCode()).isEqualTo(200);
        assertThat(retry.getHeaders().get("Idempotent-Replayed")).containsExactly("true");
        assertThat(retry.getData().getId()).isEqualTo(first.getData().getId());
        assertThat(again.getData().getId()).isEqualTo(first.getData().getId());
        JobPage page = call(() -> own.listJobs(100, null));
        assertThat(page.getItems()).extracting(Job::getId).containsExactly(first.getData().getId());

        Sdk.Problem otherBody = problem(422, () -> own.createJob(klein("another teapot"), key, null));
        assertThat(otherBody.contentType()).startsWith("application/problem+json");
        assertThat(otherBody.field()).isEqualTo("Idempotency-Key");
        assertThat(call(() -> own.listJobs(100, null)).getItems()).hasSize(1);
        Sdk.awaitEnd(own, first.getData().getId());
    }

    /**
     * A retry whose first create committed is a replay, even when a new create would be refused: the tenant's
     * spend cap holds exactly the one job and the key may submit once a minute.
     */
    @Test
    void aRetryIsAnsweredWithItsJobWhenTheCapAndTheRateLimitAreSpent() {
        Sdk.NewTenant tenant = Sdk.newTenant(new TenantCreate().name("e2e-idempotent-capped")
                        .monthlySpendCap(new BigDecimal("1.4")),
                new ApiKeyCreate().name("once").rateLimit(new RateLimit().burst(1).perMinute(BigDecimal.ONE)));
        JobsApi own = tenant.jobs();
        String key = "capped-" + UUID.randomUUID();
        JobRequest body = klein("a capped teapot").seed(6L);

        ApiResponse<Job> first = call(() -> own.createJobWithHttpInfo(body, key, null));
        assertThat(first.getData().getCost()).isEqualByComparingTo("1.4");
        ApiResponse<Job> retry = call(() -> own.createJobWithHttpInfo(body, key, null));

        assertThat(retry.getStatusCode()).isEqualTo(200);
        assertThat(retry.getHeaders().get("Idempotent-Replayed")).containsExactly("true");
        assertThat(retry.getData().getId()).isEqualTo(first.getData().getId());
        assertThat(retry.getData().getCost()).isEqualByComparingTo("1.4");
        // A new request is still held to the limits the retry did not spend.
        assertThat(problem(429, () -> own.createJob(klein("a second teapot"), null, null)).contentType())
                .startsWith("application/problem+json");
        assertThat(call(() -> own.listJobs(100, null)).getItems()).hasSize(1);
        Sdk.awaitEnd(own, first.getData().getId());
    }

    @Test
    void preferWaitAnswersWithTheFinishedJob() {
        ApiResponse<Job> answer = call(() -> jobs.createJobWithHttpInfo(klein("a patient snail"), null, "wait=60"));
        assertThat(answer.getStatusCode()).as(answer.getData().toString()).isEqualTo(200);
        assertThat(answer.getHeaders().get("Preference-Applied")).containsExactly("wait=60");
        assertThat(answer.getData().getStatus()).isEqualTo(JobStatus.READY);
        assertThat(answer.getData().getResult().getUrl()).startsWith("http");
        Sdk.decode(gateway.download(answer.getData().getResult().getUrl()));
    }

    @Test
    void jobsAreListedNewestFirstPageByPage() {
        Sdk.NewTenant tenant = Sdk.newTenant("e2e-paging", null);
        JobsApi own = tenant.jobs();
        List<String> created = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            int n = i;
            created.add(call(() -> own.createJob(klein("page item " + n), null, null)).getId());
        }
        JobPage first = call(() -> own.listJobs(2, null));
        assertThat(first.getItems()).extracting(Job::getId).containsExactly(created.get(2), created.get(1));
        assertThat(first.getNextCursor()).isNotBlank();
        JobPage second = call(() -> own.listJobs(2, first.getNextCursor()));
        assertThat(second.getItems()).extracting(Job::getId).containsExactly(created.get(0));
        assertThat(second.getNextCursor()).isNull();

        assertThat(problem(422, () -> own.listJobs(0, null)).field()).isEqualTo("limit");
        assertThat(problem(422, () -> own.listJobs(10, "not-a-cursor")).status()).isEqualTo(422);
        created.forEach(id -> Sdk.awaitEnd(own, id));
    }

    @Test
    void theEventStreamShowsQueuedStartedProgressAndSucceededInOrder() {
        Job job = call(() -> jobs.createJob(klein("a clock striking four"), null, null));
        ServerSentEvents.Stream stream = ServerSentEvents.read("/v2/jobs/" + job.getId() + "/events", RunningPlatform.API_KEY, null);
        assertThat(stream.status()).isEqualTo(200);
        assertThat(stream.contentType()).startsWith("text/event-stream");
        List<String> names = stream.events().stream().map(ServerSentEvents.Event::event).toList();
        assertThat(names).as(names.toString()).startsWith("queued").endsWith("succeeded");
        assertThat(names).containsSubsequence("queued", "started", "progress", "succeeded");
        assertThat(names.indexOf("started")).isLessThan(names.indexOf("progress"));
        assertThat(stream.events()).extracting(ServerSentEvents.Event::id).isSorted().doesNotHaveDuplicates();
        List<Integer> steps = stream.events().stream().filter(e -> "progress".equals(e.event()))
                .map(e -> e.data().path("step").asInt()).toList();
        assertThat(steps).isSorted().contains(RunningPlatform.MODEL_STEPS);
        stream.events().forEach(e -> assertThat(e.data().path("jobId").asString()).isEqualTo(job.getId()));
        ServerSentEvents.Event succeeded = stream.events().get(stream.events().size() - 1);
        assertThat(succeeded.data().path("result").isObject()).as(succeeded.data().toString()).isTrue();

        // Resuming after the "started" event replays only what came after it.
        long startedId = stream.events().get(names.indexOf("started")).id();
        ServerSentEvents.Stream resumed = ServerSentEvents.read("/v2/jobs/" + job.getId() + "/events",
                RunningPlatform.API_KEY, Long.toString(startedId));
        assertThat(resumed.events()).extracting(ServerSentEvents.Event::id).allMatch(id -> id > startedId);
        assertThat(resumed.events().get(resumed.events().size() - 1).event()).isEqualTo("succeeded");
        ServerSentEvents.Stream afterQuery = ServerSentEvents.read("/v2/jobs/" + job.getId() + "/events?after=" + startedId,
                RunningPlatform.API_KEY, null);
        assertThat(afterQuery.events()).extracting(ServerSentEvents.Event::id)
                .isEqualTo(resumed.events().stream().map(ServerSentEvents.Event::id).toList());
    }

    @Test
    void aReplayOfTheRecipeWithTheSameSeedDrawsTheSameImage() {
        Job original = call(() -> jobs.createJob(klein("a paper boat on a pond").seed(1234L), null, "wait=60"));
        assertThat(original.getStatus()).isEqualTo(JobStatus.READY);

        Recipe recipe = call(() -> jobs.getJobRecipe(original.getId()));
        assertThat(recipe.getTier()).isEqualTo("klein");
        assertThat(recipe.getPrompt()).isEqualTo("a paper boat on a pond");
        assertThat(recipe.getSeed()).isEqualTo(1234L);
        assertThat(recipe.getWidth()).isEqualTo(128);
        assertThat(recipe.getHeight()).isEqualTo(128);
        assertThat(recipe.getSteps()).isEqualTo(RunningPlatform.MODEL_STEPS);
        assertThat(recipe.getOutputFormat()).isEqualTo("png");

        ApiResponse<Job> replayed = call(() -> jobs.replayJobWithHttpInfo(original.getId(), null, "wait=60", new ReplayRequest()));
        assertThat(replayed.getStatusCode()).isEqualTo(200);
        Job replay = replayed.getData();
        assertThat(replay.getId()).isNotEqualTo(original.getId());
        assertThat(replay.getStatus()).isEqualTo(JobStatus.READY);
        assertThat(replay.getResult().getSeed()).isEqualTo(1234L);

        // The files differ in their provenance metadata (the job id); the pictures are the same.
        int[] first = Sdk.pixels(Sdk.decode(gateway.download(call(() -> jobs.getJobResult(original.getId())).getUrl())));
        int[] second = Sdk.pixels(Sdk.decode(gateway.download(replay.getResult().getUrl())));
        assertThat(second).isEqualTo(first);

        Job reseeded = call(() -> jobs.replayJob(original.getId(), null, "wait=60", new ReplayRequest().seed(99L)));
        assertThat(reseeded.getResult().getSeed()).isEqualTo(99L);
        assertThat(Sdk.pixels(Sdk.decode(gateway.download(reseeded.getResult().getUrl())))).isNotEqualTo(first);
    }

    @Test
    void tiersDescribeEveryTierMachineReadably() {
        TierList tiers = call(() -> account.listTiers());
        Map<String, Tier> byName = tiers.getItems().stream().collect(Collectors.toMap(Tier::getName, t -> t));
        assertThat(byName).containsKeys("pro", "flex", "dev", "klein");
        Tier pro = byName.get("pro");
        assertThat(pro.getRoute()).isEqualTo("/v1/flux-2-pro");
        assertThat(pro.getAllowed()).isTrue();
        assertThat(pro.getSteps().getAdjustable()).isFalse();
        assertThat(pro.getSteps().getDefault().intValue()).isEqualTo(RunningPlatform.MODEL_STEPS);
        assertThat(pro.getMaxReferences()).isEqualTo(8);
        assertThat(pro.getPrice().getFirstMegapixel()).isEqualByComparingTo("3.0");
        assertThat(pro.getActiveJobLimit()).isEqualTo(24);
        Tier flex = byName.get("flex");
        assertThat(flex.getSteps().getAdjustable()).isTrue();
        assertThat(flex.getSteps().getMax()).isEqualByComparingTo("50");
        assertThat(flex.getGuidance().getMin()).isEqualByComparingTo("1.5");
        assertThat(byName.get("klein").getMaxReferences()).isEqualTo(4);
    }

    @Test
    void aQuoteMatchesWhatTheJobCosts() {
        Quote quote = call(() -> account.quoteJob(new JobRequest().tier("pro").prompt("a quote").width(1024).height(1024)));
        // 1024x1024 is BFL's one megapixel: pro's first-megapixel price alone.
        assertThat(quote.getCost()).isEqualByComparingTo("3.0");
        assertThat(quote.getOutputMp()).isEqualByComparingTo("1.0");
        assertThat(quote.getInputMp()).isEqualByComparingTo("0");
        assertThat(quote.getCurrency()).isEqualTo("credits");
        assertThat(call(() -> account.quoteJob(klein("a quote"))).getCost()).isEqualByComparingTo("1.4");

        assertThat(problem(422, () -> account.quoteJob(new JobRequest().tier("pro").prompt("x").width(70).height(128)))
                .field()).isEqualTo("width");
        assertThat(problem(422, () -> account.quoteJob(new JobRequest().tier("ultra").prompt("x"))).field())
                .isEqualTo("tier");
    }

    @Test
    void usageCountsTheTenantsJobsAndCredits() {
        Sdk.NewTenant tenant = Sdk.newTenant("e2e-usage", null);
        JobsApi own = tenant.jobs();
        AccountApi ownAccount = new AccountApi(Sdk.client(tenant.apiKey()));
        Job ready = call(() -> own.createJob(klein("a usage report"), null, "wait=60"));
        assertThat(ready.getStatus()).isEqualTo(JobStatus.READY);
        Job moderated = call(() -> own.createJob(klein("a nude portrait").safetyTolerance(2), null, "wait=60"));
        assertThat(moderated.getStatus()).isEqualTo(JobStatus.REQUEST_MODERATED);

        Usage usage = call(() -> ownAccount.getUsage(null, null));
        assertThat(usage.getJobs()).as("moderated requests are not billed").isEqualTo(1);
        assertThat(usage.getCredits()).isEqualByComparingTo(ready.getCost());
        // 128x128 in megapixels of 1024x1024 pixels
        assertThat(usage.getMegapixels()).isEqualByComparingTo(new BigDecimal("0.015625"));
        assertThat(usage.getByTier()).containsOnlyKeys("klein");
        Usage lastYear = call(() -> ownAccount.getUsage("2020-01-01", "2021-01-01"));
        assertThat(lastYear.getJobs()).isZero();
        assertThat(problem(422, () -> ownAccount.getUsage("yesterday", null)).field()).isEqualTo("from");
    }

    @Test
    void anUnknownJobIsA404ProblemOnEveryJobRoute() {
        String unknown = "00000000-0000-0000-0000-000000000000";
        assertThat(problem(404, () -> jobs.getJob(unknown)).contentType()).startsWith("application/problem+json");
        problem(404, () -> jobs.getJobResult(unknown));
        problem(404, () -> jobs.getJobRecipe(unknown));
        problem(404, () -> jobs.cancelJob(unknown));
        problem(404, () -> jobs.replayJob(unknown, null, null, null));
        assertThat(ServerSentEvents.read("/v2/jobs/" + unknown + "/events", RunningPlatform.API_KEY, null).status())
                .isEqualTo(404);
        assertThat(problem(401, () -> new JobsApi(Sdk.client(null)).listJobs(null, null)).status()).isEqualTo(401);
    }
}
