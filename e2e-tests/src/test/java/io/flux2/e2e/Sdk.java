package io.flux2.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.DeserializationFeature;
import io.flux2.sdk.ApiClient;
import io.flux2.sdk.ApiException;
import io.flux2.sdk.api.AdminApi;
import io.flux2.sdk.api.JobsApi;
import io.flux2.sdk.model.ApiKeyCreate;
import io.flux2.sdk.model.ApiKeyCreated;
import io.flux2.sdk.model.Job;
import io.flux2.sdk.model.JobRequest;
import io.flux2.sdk.model.JobStatus;
import io.flux2.sdk.model.Tenant;
import io.flux2.sdk.model.TenantCreate;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumSet;
import java.util.Set;
import java.util.UUID;
import javax.imageio.ImageIO;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The Java SDK generated from api/openapi.yaml, pointed at the running local platform. Its JSON mapper refuses
 * fields the contract does not name, so an answer that drifts from api/openapi.yaml fails the test that got it.
 */
final class Sdk {

    static final Set<JobStatus> TERMINAL = EnumSet.of(JobStatus.READY, JobStatus.REQUEST_MODERATED,
            JobStatus.CONTENT_MODERATED, JobStatus.ERROR, JobStatus.CANCELLED);

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private Sdk() {
    }

    /** A client sending {@code key} as {@code x-key}, BFL's header. */
    static ApiClient client(String key) {
        return client("x-key", key);
    }

    /** A client sending {@code key} as {@code Authorization: Bearer}. */
    static ApiClient bearer(String key) {
        return client("Authorization", "Bearer " + key);
    }

    static ApiClient admin() {
        return client("x-admin-key", RunningPlatform.ADMIN_KEY);
    }

    static ApiClient client(String header, String value) {
        ApiClient client = new ApiClient();
        client.updateBaseUri(RunningPlatform.get().gatewayUrl());
        client.setObjectMapper(ApiClient.createDefaultObjectMapper()
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES));
        client.setConnectTimeout(Duration.ofSeconds(5));
        client.setReadTimeout(Duration.ofSeconds(120));
        if (value != null) {
            client.setRequestInterceptor(request -> request.header(header, value));
        }
        return client;
    }

    /** A new tenant and one API key of it, made through the admin API. */
    static NewTenant newTenant(String name, ApiKeyCreate key) {
        return newTenant(new TenantCreate().name(name), key);
    }

    /** A tenant made as {@code tenant} says (its name made unique), with one key. */
    static NewTenant newTenant(TenantCreate tenantCreate, ApiKeyCreate key) {
        String name = tenantCreate.getName();
        try {
            AdminApi admin = new AdminApi(admin());
            Tenant tenant = admin.createTenant(tenantCreate.name(name + "-" + UUID.randomUUID().toString().substring(0, 8)));
            ApiKeyCreated created = admin.createApiKey(tenant.getId(), key == null ? new ApiKeyCreate().name(name) : key);
            assertThat(created.getKey()).startsWith("flx_" + created.getPrefix() + "_");
            return new NewTenant(tenant, created);
        } catch (ApiException e) {
            throw new AssertionError("admin API: " + e.getCode() + " " + e.getResponseBody(), e);
        }
    }

    record NewTenant(Tenant tenant, ApiKeyCreated key) {

        String apiKey() {
            return key.getKey();
        }

        JobsApi jobs() {
            return new JobsApi(client(apiKey()));
        }
    }

    /** A small, fast job: 128x128, the demo model's steps, a few tens of milliseconds each. */
    static JobRequest klein(String prompt) {
        return new JobRequest().tier("klein").prompt(prompt).width(128).height(128)
                .outputFormat(JobRequest.OutputFormatEnum.PNG);
    }

    static Job awaitEnd(JobsApi jobs, String id) {
        return awaitEnd(jobs, id, Duration.ofSeconds(120));
    }

    static Job awaitEnd(JobsApi jobs, String id, Duration limit) {
        Instant deadline = Instant.now().plus(limit);
        Job job = call(() -> jobs.getJob(id));
        while (!TERMINAL.contains(job.getStatus())) {
            if (Instant.now().isAfter(deadline)) {
                throw new AssertionError("Job " + id + " did not end within " + limit + ": " + job);
            }
            sleep(100);
            job = call(() -> jobs.getJob(id));
        }
        return job;
    }

    /** The problem an SDK call answered with; fails when the call succeeded or answered another status. */
    static Problem problem(int status, SdkCall<?> call) {
        ApiException e = catchThrowableOfType(ApiException.class, call::call);
        assertThat(e).as("expected HTTP %d", status).isNotNull();
        assertThat(e.getCode()).as(e.getResponseBody()).isEqualTo(status);
        JsonNode body = e.getResponseBody() == null || e.getResponseBody().isBlank()
                ? JSON.createObjectNode() : JSON.readTree(e.getResponseBody());
        String contentType = e.getResponseHeaders().firstValue("Content-Type").orElse("");
        return new Problem(e.getCode(), contentType, body, e);
    }

    record Problem(int status, String contentType, JsonNode body, ApiException exception) {

        String field() {
            return body.path("field").asString();
        }

        String header(String name) {
            return exception.getResponseHeaders().firstValue(name).orElse(null);
        }
    }

    static <T> T call(SdkCall<T> call) {
        try {
            return call.call();
        } catch (ApiException e) {
            throw new AssertionError("SDK call answered " + e.getCode() + ": " + e.getResponseBody(), e);
        }
    }

    @FunctionalInterface
    interface SdkCall<T> {
        T call() throws ApiException;
    }

    static BufferedImage decode(byte[] bytes) {
        try {
            BufferedImage image = ImageIO.read(new ByteArrayInputStream(bytes));
            assertThat(image).as("a decodable image").isNotNull();
            return image;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static int[] pixels(BufferedImage image) {
        return image.getRGB(0, 0, image.getWidth(), image.getHeight(), null, 0, image.getWidth());
    }

    static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }
}
