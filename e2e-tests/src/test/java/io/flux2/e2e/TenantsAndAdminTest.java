package io.flux2.e2e;

import static io.flux2.e2e.Sdk.call;
import static io.flux2.e2e.Sdk.problem;
import static org.assertj.core.api.Assertions.assertThat;

import io.flux2.sdk.api.AdminApi;
import io.flux2.sdk.api.JobsApi;
import io.flux2.sdk.model.ApiKey;
import io.flux2.sdk.model.ApiKeyCreate;
import io.flux2.sdk.model.Job;
import io.flux2.sdk.model.RateLimit;
import io.flux2.sdk.model.ReplayRequest;
import io.flux2.sdk.model.Tenant;
import io.flux2.sdk.model.TenantCreate;
import java.math.BigDecimal;
import org.junit.jupiter.api.Test;

/** The admin API makes tenants and keys; a tenant sees only its own jobs. */
class TenantsAndAdminTest {

    @Test
    void aSecondTenantReadingTheFirstsJobGets404() {
        JobsApi first = new JobsApi(Sdk.client(RunningPlatform.API_KEY));
        Job job = call(() -> first.createJob(Sdk.klein("a private diary"), null, "wait=60"));
        String id = job.getId();

        Sdk.NewTenant other = Sdk.newTenant("e2e-second-tenant", null);
        JobsApi second = other.jobs();
        for (Sdk.Problem p : new Sdk.Problem[] {
                problem(404, () -> second.getJob(id)),
                problem(404, () -> second.getJobResult(id)),
                problem(404, () -> second.getJobRecipe(id)),
                problem(404, () -> second.cancelJob(id)),
                problem(404, () -> second.replayJob(id, null, null, new ReplayRequest()))}) {
            assertThat(p.contentType()).startsWith("application/problem+json");
            assertThat(p.body().toString()).doesNotContain("a private diary");
        }
        assertThat(ServerSentEvents.read("/v2/jobs/" + id + "/events", other.apiKey(), null).status()).isEqualTo(404);
        assertThat(call(() -> second.listJobs(100, null)).getItems()).extracting(Job::getId).doesNotContain(id);
        var bfl = new GatewayClient(RunningPlatform.get().gatewayUrl()).get("/v1/get_result?id=" + id, other.apiKey());
        assertThat(bfl.body().path("status").asString()).isEqualTo("Task not found");

        // The owner still sees it.
        assertThat(call(() -> first.getJob(id)).getId()).isEqualTo(id);
    }

    @Test
    void theAdminApiManagesTenantsAndKeys() {
        AdminApi admin = new AdminApi(Sdk.admin());
        Tenant tenant = call(() -> admin.createTenant(new TenantCreate().name("e2e-admin")
                .monthlySpendCap(new BigDecimal("100")).allowedTiers(java.util.List.of("klein"))));
        assertThat(tenant.getId()).isNotBlank();
        assertThat(tenant.getAllowedTiers()).containsExactly("klein");
        assertThat(call(admin::listTenants).getItems()).extracting(Tenant::getId).contains(tenant.getId());

        var created = call(() -> admin.createApiKey(tenant.getId(), new ApiKeyCreate().name("ci")
                .rateLimit(new RateLimit().burst(5).perMinute(new BigDecimal("60"))).activeJobLimit(2)));
        assertThat(created.getKey()).startsWith("flx_");
        assertThat(created.getActiveJobLimit()).isEqualTo(2);
        var listed = call(() -> admin.listApiKeys(tenant.getId())).getItems();
        assertThat(listed).extracting(ApiKey::getPrefix).containsExactly(created.getPrefix());
        assertThat(listed.get(0).toString()).doesNotContain(created.getKey());

        // The tenant may use klein only: another tier is BFL's 403.
        JobsApi jobs = new JobsApi(Sdk.client(created.getKey()));
        assertThat(problem(403, () -> jobs.createJob(new io.flux2.sdk.model.JobRequest().tier("pro").prompt("x"), null, null))
                .contentType()).startsWith("application/problem+json");
        Job ok = call(() -> jobs.createJob(Sdk.klein("allowed"), null, "wait=60"));
        assertThat(ok.getStatus()).isEqualTo(io.flux2.sdk.model.JobStatus.READY);

        ApiKey revoked = call(() -> admin.revokeApiKey(created.getPrefix()));
        assertThat(revoked.getRevoked()).isTrue();
        problem(401, () -> jobs.listJobs(null, null));

        problem(401, () -> new AdminApi(Sdk.client("x-admin-key", "flx_admin_wrong")).listTenants());
        problem(401, () -> new AdminApi(Sdk.client(RunningPlatform.API_KEY)).listTenants());
        assertThat(problem(422, () -> admin.createTenant(new TenantCreate().name(""))).status()).isEqualTo(422);
        problem(404, () -> admin.createApiKey("no-such-tenant", new ApiKeyCreate()));
    }
}
