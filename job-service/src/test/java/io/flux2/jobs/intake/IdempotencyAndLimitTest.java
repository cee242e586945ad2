package io.flux2.jobs.intake;

import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.infra.SharedTestInfra;
import io.flux2.jobs.support.JobServiceTest;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.http.HttpStatus;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

class IdempotencyAndLimitTest extends JobServiceTest {

    private final ExecutorService clients = Executors.newFixedThreadPool(10);

    @AfterEach
    void stopClients() {
        clients.shutdownNow();
    }

    @Test
    void sameKeyAndHashReplaysTheJobAnotherHashIsRefused() {
        String tenant = uniqueTenant();
        Map<String, Object> body = jobBody(tenant, uniqueModel(), "a windmill");
        body.put("idempotencyKey", "key-1");
        body.put("requestHash", "hash-a");

        Object first = body(create(body).expectStatus().isCreated()).get("id");
        Map<String, Object> replay = body(create(body).expectStatus().isOk()
                .expectHeader().valueEquals("Idempotent-Replayed", "true"));
        assertThat(replay.get("id")).isEqualTo(first);

        body.put("requestHash", "hash-b");
        expectProblem(create(body), HttpStatus.UNPROCESSABLE_CONTENT);
        create(body).expectBody().jsonPath("$.field").isEqualTo("Idempotency-Key");

        // Keys are per tenant.
        Map<String, Object> otherTenant = jobBody(uniqueTenant(), uniqueModel(), "a windmill");
        otherTenant.put("idempotencyKey", "key-1");
        otherTenant.put("requestHash", "hash-a");
        assertThat(body(create(otherTenant).expectStatus().isCreated()).get("id")).isNotEqualTo(first);
    }

    /** Another session holding the key's lock is exactly "the first create is still in its transaction". */
    @Test
    void sameKeyWhileTheFirstCreateIsInFlightIs409() throws Exception {
        String tenant = uniqueTenant();
        String key = "in-flight-" + UUID.randomUUID();
        Map<String, Object> body = jobBody(tenant, uniqueModel(), "a lantern");
        body.put("idempotencyKey", key);
        body.put("requestHash", "h");
        try (Connection connection = DriverManager.getConnection(SharedTestInfra.postgres().jdbcUrl(), "postgres", "")) {
            try (PreparedStatement lock = connection.prepareStatement(
                    "select pg_advisory_lock(4201, hashtext(? || chr(10) || ?))")) {
                lock.setString(1, tenant);
                lock.setString(2, key);
                lock.execute();
            }
            expectProblem(create(body), HttpStatus.CONFLICT);
            // Released here rather than by closing: a closed session's locks go only when its backend has exited.
            try (PreparedStatement unlock = connection.prepareStatement(
                    "select pg_advisory_unlock(4201, hashtext(? || chr(10) || ?))")) {
                unlock.setString(1, tenant);
                unlock.setString(2, key);
                unlock.execute();
            }
        }
        create(body).expectStatus().isCreated();
        create(body).expectStatus().isOk();
    }

    /** Ten concurrent creates of 1.5 credits against a cap of 6: exactly four fit, the rest are 402. */
    @Test
    void concurrentCreatesCannotPassTheTenantsSpendCapTogether() throws Exception {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        List<Map<String, Object>> bodies = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            Map<String, Object> body = jobBody(tenant, model, "a costly bird number " + i);
            body.put("cost", 1.5);
            body.put("monthlySpendCap", 6);
            bodies.add(body);
        }
        List<EntityExchangeResult<byte[]>> answers = createAtOnce(bodies);

        assertThat(answers).filteredOn(a -> a.getStatus().value() == 201).hasSize(4);
        List<EntityExchangeResult<byte[]>> refused = answers.stream().filter(a -> a.getStatus().value() == 402).toList();
        assertThat(refused).hasSize(6);
        assertThat(new String(refused.get(0).getResponseBodyContent())).contains("\"limit\":6", "\"spent\":6",
                "\"cost\":1.5");
        Map<String, Object> usage = body(get("/internal/usage?tenantId={t}", tenant).expectStatus().isOk());
        assertThat(((Number) usage.get("credits")).doubleValue()).isEqualTo(6.0);
    }

    /** The cap counts what is billed: a cancelled job that never ran and a refused prompt leave room. */
    @Test
    void theSpendCapCountsOnlyWhatIsBilled() {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        List<Object> jobs = new ArrayList<>();
        for (String prompt : new String[] {"a costly owl", "a costly heron", "a costly wren"}) {
            jobs.add(body(create(cappedBody(tenant, model, prompt)).expectStatus().isCreated()).get("id"));
        }
        expectProblem(create(cappedBody(tenant, model, "one owl too many")), HttpStatus.PAYMENT_REQUIRED);

        post("/internal/jobs/{id}/cancel?tenantId={t}", jobs.get(0), tenant).exchange().expectStatus().isOk();
        Object refused = body(create(cappedBody(tenant, model, "something forbidden")).expectStatus().isCreated())
                .get("id");
        awaitStatus(refused, tenant, "REQUEST_MODERATED");
        create(cappedBody(tenant, model, "the owl that fits now")).expectStatus().isCreated();
        expectProblem(create(cappedBody(tenant, model, "and no more")), HttpStatus.PAYMENT_REQUIRED);
        Map<String, Object> usage = body(get("/internal/usage?tenantId={t}", tenant).expectStatus().isOk());
        assertThat(((Number) usage.get("credits")).doubleValue()).isEqualTo(6.0);
    }

    private static Map<String, Object> cappedBody(String tenant, String model, String prompt) {
        Map<String, Object> body = jobBody(tenant, model, prompt);
        body.put("cost", 2);
        body.put("monthlySpendCap", 6);
        return body;
    }

    /** A create that waits for the tenant's spend lock longer than lock-wait is a 429, not a held connection. */
    @Test
    void aCreateWaitingTooLongForTheTenantsSpendLockIs429() throws Exception {
        String tenant = uniqueTenant();
        Map<String, Object> body = jobBody(tenant, uniqueModel(), "a patient bird");
        body.put("cost", 1);
        body.put("monthlySpendCap", 100);
        try (Connection connection = DriverManager.getConnection(SharedTestInfra.postgres().jdbcUrl(), "postgres", "")) {
            try (PreparedStatement lock = connection.prepareStatement("select pg_advisory_lock(4202, hashtext(?))")) {
                lock.setString(1, tenant);
                lock.execute();
            }
            create(body).expectStatus().isEqualTo(HttpStatus.TOO_MANY_REQUESTS)
                    .expectHeader().valueEquals("Retry-After", "1");
            try (PreparedStatement unlock = connection.prepareStatement("select pg_advisory_unlock(4202, hashtext(?))")) {
                unlock.setString(1, tenant);
                unlock.execute();
            }
        }
        create(body).expectStatus().isCreated();
    }

    @Test
    void the25thConcurrentJobOfAKeyWithLimit24Gets429() throws Exception {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        String apiKey = "key-" + UUID.randomUUID();
        List<Map<String, Object>> bodies = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            Map<String, Object> body = jobBody(tenant, model, "a bird number " + i);
            body.put("apiKeyId", apiKey);
            body.put("activeJobLimit", 24);
            bodies.add(body);
        }
        List<EntityExchangeResult<byte[]>> answers = createAtOnce(bodies);

        assertThat(answers).filteredOn(a -> a.getStatus().value() == 201).hasSize(24);
        List<EntityExchangeResult<byte[]>> refused = answers.stream().filter(a -> a.getStatus().value() == 429).toList();
        assertThat(refused).hasSize(6);
        assertThat(refused).allSatisfy(answer -> {
            assertThat(answer.getResponseHeaders().getFirst("Retry-After")).isEqualTo("7");
            assertThat(new String(answer.getResponseBodyContent())).contains("\"limit\":24");
        });

        // One finishing (here: cancelled) frees a slot.
        Map<String, Object> body = jobBody(tenant, model, "one more");
        body.put("apiKeyId", apiKey);
        body.put("activeJobLimit", 24);
        expectProblem(create(body), HttpStatus.TOO_MANY_REQUESTS);
        Map<?, ?> list = body(get("/internal/jobs?tenantId={t}&limit=1", tenant).expectStatus().isOk());
        Object someJob = ((Map<?, ?>) ((List<?>) list.get("items")).get(0)).get("id");
        post("/internal/jobs/{id}/cancel?tenantId={t}", someJob, tenant).exchange().expectStatus().isOk();
        create(body).expectStatus().isCreated();
        // Other keys are not affected.
        body.put("apiKeyId", "another-key");
        create(body).expectStatus().isCreated();
    }

    /**
     * A job written by a replica of the previous version while V3 was being applied was never counted, so its key
     * could run one job more than its limit for good. V8 recounts from the jobs themselves.
     */
    @Test
    void theRecountMigrationRepairsAKeysActiveJobCountThatDrifted() throws Exception {
        String tenant = uniqueTenant();
        String model = uniqueModel();
        String apiKey = "drifted-" + UUID.randomUUID();
        Map<String, Object> body = jobBody(tenant, model, "a counted bird");
        body.put("apiKeyId", apiKey);
        body.put("activeJobLimit", 2);
        create(body).expectStatus().isCreated();
        create(body).expectStatus().isCreated();
        expectProblem(create(body), HttpStatus.TOO_MANY_REQUESTS);

        try (Connection connection = DriverManager.getConnection(SharedTestInfra.postgres().jdbcUrl(), "postgres", "")) {
            try (PreparedStatement drift = connection.prepareStatement(
                    "update jobs.active_job_counts set active = active - 1 where api_key_id = ?")) {
                drift.setString(1, apiKey);
                assertThat(drift.executeUpdate()).isEqualTo(1);
            }
            create(body).expectStatus().isCreated(); // one too many: what the drift allowed
            expectProblem(create(body), HttpStatus.TOO_MANY_REQUESTS);

            connection.setAutoCommit(false);
            try (var recount = connection.createStatement()) {
                recount.execute(migration("V8__active_job_counts_recount.sql"));
            }
            connection.commit();
        }
        // three jobs are active: a job must finish before the key gets another, and two must for a second one
        Map<?, ?> list = body(get("/internal/jobs?tenantId={t}&limit=1", tenant).expectStatus().isOk());
        Object someJob = ((Map<?, ?>) ((List<?>) list.get("items")).get(0)).get("id");
        post("/internal/jobs/{id}/cancel?tenantId={t}", someJob, tenant).exchange().expectStatus().isOk();
        expectProblem(create(body), HttpStatus.TOO_MANY_REQUESTS);
    }

    private static String migration(String name) throws IOException {
        try (var in = IdempotencyAndLimitTest.class.getResourceAsStream("/db/migration/jobs/" + name)) {
            assertThat(in).as(name).isNotNull();
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /** Sends every create from its own client thread at once; the answers in the order of the bodies. */
    private List<EntityExchangeResult<byte[]>> createAtOnce(List<Map<String, Object>> bodies) throws Exception {
        List<CompletableFuture<EntityExchangeResult<byte[]>>> creates = new ArrayList<>();
        for (Map<String, Object> body : bodies) {
            creates.add(CompletableFuture.supplyAsync(() -> create(body).expectBody().returnResult(), clients));
        }
        List<EntityExchangeResult<byte[]>> answers = new ArrayList<>();
        for (var answer : creates) {
            answers.add(answer.get(60, TimeUnit.SECONDS));
        }
        return answers;
    }
}
